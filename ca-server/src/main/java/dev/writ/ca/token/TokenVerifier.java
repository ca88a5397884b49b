package dev.writ.ca.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies OpenID Connect ID tokens from a fixed set of trusted issuers.
 *
 * <p>Thread-safe; build one at start and share it. Each issuer's discovery document and JWK set
 * are fetched on its first token (so construction never touches the network) and the keys are
 * cached: verifying a token with a known key makes no network call.
 */
public final class TokenVerifier {

  /** Tolerated clock difference for {@code exp}, {@code nbf} and {@code iat}. */
  public static final Duration DEFAULT_SKEW = Duration.ofSeconds(60);

  /** How long a fetched JWK set is used before it is fetched again. */
  public static final Duration DEFAULT_JWKS_CACHE_TTL = Duration.ofMinutes(5);

  /** Window of the JWK set fetch rate limit (at most two fetches per window per issuer). */
  public static final Duration DEFAULT_REFETCH_MIN_INTERVAL = Duration.ofSeconds(30);

  /** The only signature algorithms accepted: no {@code none}, no HMAC, nothing else. */
  static final Set<JWSAlgorithm> ALLOWED_ALGORITHMS =
      Set.of(
          JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
          JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
          JWSAlgorithm.ES256, JWSAlgorithm.ES384,
          JWSAlgorithm.EdDSA);

  /** Longer than any real ID token; anything bigger is refused before parsing. */
  static final int MAX_TOKEN_CHARS = 32 * 1024;

  private static final Duration MAX_SKEW = Duration.ofMinutes(5);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(2);
  private static final int HTTP_SIZE_LIMIT_BYTES = 64 * 1024;
  private static final Duration DISCOVERY_RETRY_INTERVAL = Duration.ofSeconds(5);

  private final Map<String, OidcIssuer> issuers;
  private final VerifiedTokenCache verified;

  public TokenVerifier(List<IssuerConfig> issuers, Clock clock) {
    this(issuers, clock, DEFAULT_SKEW, DEFAULT_JWKS_CACHE_TTL, DEFAULT_REFETCH_MIN_INTERVAL);
  }

  /**
   * @param skew tolerated clock difference, at most 5 minutes
   * @param jwksCacheTtl how long a JWK set is cached; must be longer than {@code
   *     refetchMinInterval}
   * @param refetchMinInterval rate-limit window for JWK set fetches (Nimbus semantics: two per
   *     window, so that a key rotation is always picked up; a flood of tokens with unknown {@code
   *     kid}s costs at most that)
   */
  public TokenVerifier(
      List<IssuerConfig> issuers,
      Clock clock,
      Duration skew,
      Duration jwksCacheTtl,
      Duration refetchMinInterval) {
    Objects.requireNonNull(issuers, "issuers");
    Objects.requireNonNull(clock, "clock");
    if (issuers.isEmpty()) {
      throw new IllegalArgumentException("at least one issuer is required");
    }
    if (skew.isNegative() || skew.compareTo(MAX_SKEW) > 0) {
      throw new IllegalArgumentException("skew must be between 0 and " + MAX_SKEW + ": " + skew);
    }
    if (refetchMinInterval.isNegative() || refetchMinInterval.isZero()) {
      throw new IllegalArgumentException("refetchMinInterval must be positive");
    }
    if (jwksCacheTtl.compareTo(refetchMinInterval) <= 0) {
      throw new IllegalArgumentException("jwksCacheTtl must be longer than refetchMinInterval");
    }
    int timeoutMillis = (int) HTTP_TIMEOUT.toMillis();
    OidcIssuer.Settings settings =
        new OidcIssuer.Settings(
            clock,
            skew,
            jwksCacheTtl,
            refetchMinInterval,
            HTTP_TIMEOUT,
            DISCOVERY_RETRY_INTERVAL,
            new DefaultResourceRetriever(timeoutMillis, timeoutMillis, HTTP_SIZE_LIMIT_BYTES));
    Map<String, OidcIssuer> byIssuer = new HashMap<>();
    for (IssuerConfig config : issuers) {
      if (byIssuer.put(config.issuer(), new OidcIssuer(config, settings)) != null) {
        throw new IllegalArgumentException("issuer configured twice: " + config.issuer());
      }
    }
    this.issuers = Map.copyOf(byIssuer);
    this.verified = new VerifiedTokenCache(clock);
  }

  /**
   * Verifies a compact-serialized ID token (without the {@code "Bearer "} prefix).
   *
   * @return what the token proved
   * @throws TokenRejectedException with a short client-safe reason, for any token that is not
   *     accepted, including when its issuer cannot be reached
   */
  public VerifiedToken verify(String bearerToken) throws TokenRejectedException {
    // 0. The same token string verified moments ago proves the same, while it is unexpired.
    if (bearerToken == null || bearerToken.isEmpty() || bearerToken.length() > MAX_TOKEN_CHARS) {
      throw new TokenRejectedException(Reason.MALFORMED);
    }
    String digest = VerifiedTokenCache.digest(bearerToken);
    VerifiedToken cached = verified.get(digest);
    if (cached != null) {
      return cached;
    }
    VerifiedToken token = verifyUncached(bearerToken);
    verified.put(digest, token);
    return token;
  }

  private VerifiedToken verifyUncached(String bearerToken) throws TokenRejectedException {
    // 1. Parse, trusting nothing yet.
    SignedJWT jwt = parseSigned(bearerToken);
    // 2. Algorithm allow-list, before any key is looked up.
    if (!ALLOWED_ALGORITHMS.contains(jwt.getHeader().getAlgorithm())) {
      throw new TokenRejectedException(Reason.ALGORITHM_NOT_ALLOWED);
    }
    // 3. Issuer, by exact match of the still unverified iss.
    OidcIssuer issuer = issuers.get(unverifiedIssuer(jwt));
    if (issuer == null) {
      throw new TokenRejectedException(Reason.UNKNOWN_ISSUER);
    }
    // 4. Signature with that issuer's keys, then the claims.
    JWTClaimsSet claims = issuer.verify(jwt);
    return new VerifiedToken(
        claims.getIssuer(),
        claims.getSubject(),
        claims.toJSONObject(),
        claims.getExpirationTime().toInstant());
  }

  private static SignedJWT parseSigned(String token) throws TokenRejectedException {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw new TokenRejectedException(Reason.MALFORMED);
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException | RuntimeException e) {
      throw new TokenRejectedException(Reason.MALFORMED);
    }
    if (jwt instanceof SignedJWT signed) {
      return signed;
    }
    // An unsecured JWT (alg "none") or an encrypted one: neither is a signed ID token.
    throw new TokenRejectedException(Reason.ALGORITHM_NOT_ALLOWED);
  }

  private static String unverifiedIssuer(SignedJWT jwt) throws TokenRejectedException {
    try {
      String iss = jwt.getJWTClaimsSet().getIssuer();
      if (iss == null) {
        throw new TokenRejectedException(Reason.UNKNOWN_ISSUER);
      }
      return iss;
    } catch (ParseException | RuntimeException e) {
      throw new TokenRejectedException(Reason.MALFORMED);
    }
  }
}
