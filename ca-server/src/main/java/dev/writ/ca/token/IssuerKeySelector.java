package dev.writ.ca.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import java.security.Key;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks the verification keys for a token from its issuer's JWK set, by {@code kid}, key type,
 * {@code use} and {@code alg} ({@link JWKMatcher#forJWSHeader}). Keys named or embedded in the
 * header ({@code jku}, {@code x5u}, {@code jwk}, {@code x5c}) are never looked at.
 *
 * <p>Nimbus's own {@code JWSVerificationKeySelector} does the same but cannot turn an Ed25519
 * JWK into a Java key, and answers "no key" with a bare empty list; this one converts OKP keys
 * for {@link EdDsaVerifier} and throws {@link SigningKeyNotFoundException}.
 */
final class IssuerKeySelector implements JWSKeySelector<SecurityContext> {

  private final JWKSource<SecurityContext> jwks;

  IssuerKeySelector(JWKSource<SecurityContext> jwks) {
    this.jwks = jwks;
  }

  @Override
  public List<Key> selectJWSKeys(JWSHeader header, SecurityContext context)
      throws KeySourceException {
    JWKMatcher matcher = JWKMatcher.forJWSHeader(header);
    if (matcher == null) {
      throw new SigningKeyNotFoundException();
    }
    List<JWK> candidates;
    try {
      // A miss makes the JWK source refetch the set once, within its rate limit.
      candidates = jwks.get(new JWKSelector(matcher), context);
    } catch (RateLimitReachedException refetchBudgetSpent) {
      throw new SigningKeyNotFoundException();
    }
    List<Key> keys = new ArrayList<>(candidates.size());
    for (JWK candidate : candidates) {
      Key key = toPublicKey(candidate);
      if (key != null) {
        keys.add(key);
      }
    }
    if (keys.isEmpty()) {
      throw new SigningKeyNotFoundException();
    }
    return keys;
  }

  /** The Java public key of a JWK, or null when it is malformed or of a kind we do not verify. */
  private static Key toPublicKey(JWK jwk) {
    try {
      if (jwk instanceof RSAKey rsa) {
        return rsa.toRSAPublicKey();
      }
      if (jwk instanceof ECKey ec) {
        return ec.toECPublicKey();
      }
      if (jwk instanceof OctetKeyPair okp) {
        return EdDsaVerifier.publicKey(okp);
      }
    } catch (JOSEException malformedKey) {
      return null;
    }
    return null;
  }

  /** No key of the issuer matches the token's header, even after a (rate-limited) refetch. */
  static final class SigningKeyNotFoundException extends KeySourceException {

    private static final long serialVersionUID = 1L;

    SigningKeyNotFoundException() {
      super(Reason.UNKNOWN_SIGNING_KEY);
    }
  }
}
