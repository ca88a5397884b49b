package dev.writ.ca.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.Set;

/**
 * Verifies {@code EdDSA} (RFC 8037) signatures with the JDK's own EdDSA implementation.
 *
 * <p>Nimbus's {@code Ed25519Verifier} needs Google Tink, which is not among writ's dependencies;
 * the JDK (15+) verifies Ed25519 and Ed448 natively, so this adapter is all that is needed.
 */
public final class EdDsaVerifier implements JWSVerifier {

  // DER SubjectPublicKeyInfo headers (RFC 8410) that precede the raw public key.
  private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final byte[] ED448_SPKI_PREFIX = HexFormat.of().parseHex("3043300506032b6571033a00");

  private final EdECPublicKey key;
  private final JCAContext jcaContext = new JCAContext();

  public EdDsaVerifier(EdECPublicKey key) {
    this.key = key;
  }

  /** The Java key of a public Ed25519 or Ed448 JWK. */
  static PublicKey publicKey(OctetKeyPair jwk) throws JOSEException {
    byte[] x = jwk.getDecodedX();
    byte[] prefix;
    if (Curve.Ed25519.equals(jwk.getCurve()) && x.length == 32) {
      prefix = ED25519_SPKI_PREFIX;
    } else if (Curve.Ed448.equals(jwk.getCurve()) && x.length == 57) {
      prefix = ED448_SPKI_PREFIX;
    } else {
      throw new JOSEException("not an Ed25519 or Ed448 public key");
    }
    byte[] spki = new byte[prefix.length + x.length];
    System.arraycopy(prefix, 0, spki, 0, prefix.length);
    System.arraycopy(x, 0, spki, prefix.length, x.length);
    try {
      return KeyFactory.getInstance("EdDSA").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new JOSEException("invalid EdDSA public key", e);
    }
  }

  @Override
  public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature)
      throws JOSEException {
    if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) {
      throw new JOSEException("EdDsaVerifier only verifies EdDSA");
    }
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      return false; // we understand no critical header parameter, so we must refuse (RFC 7515 4.1.11)
    }
    try {
      Signature verifier = Signature.getInstance("EdDSA");
      verifier.initVerify(key);
      verifier.update(signingInput);
      return verifier.verify(signature.decode());
    } catch (GeneralSecurityException badSignatureOrKey) {
      return false;
    }
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return Set.of(JWSAlgorithm.EdDSA);
  }

  @Override
  public JCAContext getJCAContext() {
    return jcaContext;
  }
}
