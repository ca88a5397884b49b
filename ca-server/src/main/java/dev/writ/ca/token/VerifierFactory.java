package dev.writ.ca.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeyTypeException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import java.security.Key;
import java.security.interfaces.EdECPublicKey;
import java.util.HashSet;
import java.util.Set;

/**
 * Nimbus's verifiers for RSA and EC signatures, plus {@link EdDsaVerifier} for EdDSA. Public for
 * the host renewal proofs ({@code dev.writ.ca.host}), whose keys come from certificates, not JWKS.
 */
public final class VerifierFactory implements JWSVerifierFactory {

  private final DefaultJWSVerifierFactory nimbus = new DefaultJWSVerifierFactory();

  @Override
  public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
    if (JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) {
      if (key instanceof EdECPublicKey edKey) {
        return new EdDsaVerifier(edKey);
      }
      throw new KeyTypeException(EdECPublicKey.class);
    }
    return nimbus.createJWSVerifier(header, key);
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    Set<JWSAlgorithm> algorithms = new HashSet<>(nimbus.supportedJWSAlgorithms());
    algorithms.add(JWSAlgorithm.EdDSA);
    return algorithms;
  }

  @Override
  public JCAContext getJCAContext() {
    return nimbus.getJCAContext();
  }
}
