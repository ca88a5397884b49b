package dev.writ.ca.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.UUID;

/** Builds and signs test tokens the way an identity provider (or an attacker) would. */
final class TestTokens {

  private TestTokens() {}

  static JWSHeader.Builder header(JWSAlgorithm alg, String kid) {
    return new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT);
  }

  /** Signs with an RSA or EC private JWK, or with an {@link Ed25519Key}'s JWK. */
  static String sign(JWSHeader header, JWTClaimsSet claims, JWK privateKey) {
    try {
      JWSSigner signer;
      if (privateKey instanceof RSAKey rsa) {
        signer = new RSASSASigner(rsa);
      } else if (privateKey instanceof ECKey ec) {
        signer = new ECDSASigner(ec);
      } else {
        throw new IllegalArgumentException("use Ed25519Key.sign for " + privateKey.getKeyType());
      }
      SignedJWT jwt = new SignedJWT(header, claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An HMAC-signed token, e.g. keyed with an issuer's public key (the classic confusion). */
  static String hmac(JWSAlgorithm alg, String kid, JWTClaimsSet claims, byte[] secret) {
    try {
      SignedJWT jwt = new SignedJWT(header(alg, kid).build(), claims);
      jwt.sign(new MACSigner(secret));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code {"alg":"none"}}: header, payload and an empty signature. */
  static String unsecured(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  static RSAKey freshRsaKey() {
    return freshRsaKey(UUID.randomUUID().toString());
  }

  static RSAKey freshRsaKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static ECKey freshEcKey(Curve curve, String kid) {
    try {
      return new ECKeyGenerator(curve).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces one character in the middle of the signature part. */
  static String withFlippedSignatureChar(String token) {
    int sigStart = token.lastIndexOf('.') + 1;
    int i = sigStart + (token.length() - sigStart) / 2;
    char replacement = token.charAt(i) == 'A' ? 'B' : 'A';
    return token.substring(0, i) + replacement + token.substring(i + 1);
  }

  /** Keeps header and signature, replaces the payload. */
  static String withPayload(String token, JWTClaimsSet claims) {
    String[] parts = token.split("\\.");
    String payload = Base64URL.encode(claims.toString().getBytes(StandardCharsets.UTF_8)).toString();
    return parts[0] + "." + payload + "." + parts[2];
  }

  /**
   * An Ed25519 key. Nimbus signs EdDSA only with Google Tink, which writ does not depend on, so
   * tests sign with the JDK.
   */
  record Ed25519Key(KeyPair pair, OctetKeyPair publicJwk) {

    static Ed25519Key generate(String kid) {
      try {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = pair.getPublic().getEncoded();
        byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        OctetKeyPair jwk = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x)).keyID(kid).build();
        return new Ed25519Key(pair, jwk);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    String sign(JWSHeader header, JWTClaimsSet claims) {
      String signingInput =
          header.toBase64URL() + "." + Base64URL.encode(claims.toString().getBytes(StandardCharsets.UTF_8));
      try {
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(pair.getPrivate());
        signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + Base64URL.encode(signer.sign());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
