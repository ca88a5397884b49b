package dev.writ.ca.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.JWTProcessor;
import dev.writ.ca.token.IdTokenClaimsVerifier.ClaimRejectedException;
import dev.writ.ca.token.IssuerKeySelector.SigningKeyNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One trusted issuer: its discovery document, its cached JWK set and the Nimbus processor that
 * verifies its tokens.
 *
 * <p>Nothing is fetched at construction, so the CA starts while the identity provider is down.
 * The first token for the issuer fetches the discovery document and the JWK set; if that fails,
 * tokens are rejected as "issuer unavailable" without touching the network until {@link
 * Settings#discoveryRetryInterval} has passed, and a later token tries again. Once ready, the
 * processor is immutable and shared by all threads; the JWK set is refreshed by Nimbus's cache.
 */
final class OidcIssuer {

  private static final Logger log = LoggerFactory.getLogger(OidcIssuer.class);

  private static final String DISCOVERY_PATH = "/.well-known/openid-configuration";

  /** What every issuer shares: the clock, time limits and the HTTP client for keys. */
  record Settings(
      Clock clock,
      Duration skew,
      Duration jwksCacheTtl,
      Duration refetchMinInterval,
      Duration httpTimeout,
      Duration discoveryRetryInterval,
      ResourceRetriever http) {}

  private final IssuerConfig config;
  private final Settings settings;
  private final ReentrantLock resolving = new ReentrantLock();
  private volatile JWTProcessor<SecurityContext> processor; // null until discovery succeeded
  private Instant lastFailure; // guarded by resolving

  OidcIssuer(IssuerConfig config, Settings settings) {
    this.config = config;
    this.settings = settings;
  }

  /** Verifies the signature and the claims of a token whose unverified iss named this issuer. */
  JWTClaimsSet verify(SignedJWT jwt) throws TokenRejectedException {
    JWTProcessor<SecurityContext> ready = processor();
    try {
      return ready.process(jwt, null);
    } catch (ClaimRejectedException e) {
      throw new TokenRejectedException(e.getMessage());
    } catch (BadJWSException e) {
      throw new TokenRejectedException(Reason.SIGNATURE_INVALID);
    } catch (SigningKeyNotFoundException e) {
      throw new TokenRejectedException(Reason.UNKNOWN_SIGNING_KEY);
    } catch (KeySourceException e) {
      log.warn("issuer {}: JWK set unavailable: {}", config.issuer(), e.toString());
      throw new TokenRejectedException(Reason.ISSUER_UNAVAILABLE);
    } catch (BadJOSEException | JOSEException e) {
      // No verifier for the key, a key of the wrong type: the signature cannot be accepted.
      log.debug("issuer {}: signature not verified: {}", config.issuer(), e.getClass().getName());
      throw new TokenRejectedException(Reason.SIGNATURE_INVALID);
    } catch (RuntimeException e) {
      log.warn("issuer {}: unexpected {} for a token", config.issuer(), e.getClass().getName());
      throw new TokenRejectedException(Reason.MALFORMED);
    }
  }

  private JWTProcessor<SecurityContext> processor() throws TokenRejectedException {
    JWTProcessor<SecurityContext> ready = processor;
    return ready != null ? ready : resolve();
  }

  /** Discovery and first key fetch, by one thread at a time; the others wait a bounded time. */
  private JWTProcessor<SecurityContext> resolve() throws TokenRejectedException {
    try {
      long waitMillis = settings.httpTimeout().toMillis() * 4;
      if (!resolving.tryLock(waitMillis, TimeUnit.MILLISECONDS)) {
        throw new TokenRejectedException(Reason.ISSUER_UNAVAILABLE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TokenRejectedException(Reason.ISSUER_UNAVAILABLE);
    }
    try {
      if (processor != null) {
        return processor;
      }
      Instant now = settings.clock().instant();
      if (lastFailure != null
          && now.isBefore(lastFailure.plus(settings.discoveryRetryInterval()))) {
        throw new TokenRejectedException(Reason.ISSUER_UNAVAILABLE);
      }
      try {
        URL jwksUrl = discoverJwksUrl();
        JWKSource<SecurityContext> keys = keySource(jwksUrl);
        processor = newProcessor(keys);
        lastFailure = null;
        log.info("issuer {}: ready, keys from {}", config.issuer(), jwksUrl);
        return processor;
      } catch (IOException | ParseException | KeySourceException | IllegalArgumentException e) {
        lastFailure = now;
        log.warn("issuer {}: unavailable, will retry: {}", config.issuer(), e.toString());
        throw new TokenRejectedException(Reason.ISSUER_UNAVAILABLE);
      }
    } finally {
      resolving.unlock();
    }
  }

  /**
   * Fetches {@code {issuer}/.well-known/openid-configuration} and returns its {@code jwks_uri},
   * after checking that the document speaks for exactly this issuer.
   */
  private URL discoverJwksUrl() throws IOException, ParseException {
    String issuer = config.issuer();
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    String document =
        settings.http().retrieveResource(URI.create(base + DISCOVERY_PATH).toURL()).getContent();
    Map<String, Object> json = JSONObjectUtils.parse(document);
    String advertised = JSONObjectUtils.getString(json, "issuer");
    if (!issuer.equals(advertised)) {
      throw new IOException("discovery document names another issuer: " + advertised);
    }
    URI jwksUri = JSONObjectUtils.getURI(json, "jwks_uri");
    if (jwksUri == null) {
      throw new IOException("discovery document has no jwks_uri");
    }
    IssuerConfig.requireSecureTransport(jwksUri, "jwks_uri");
    return jwksUri.toURL();
  }

  /**
   * The issuer's JWK set: cached for the TTL, refetched when a token names an unknown {@code
   * kid}, with fetches rate-limited (Nimbus allows two per interval: the regular refresh and one
   * for a rotated key). Loaded once here, so that "ready" means "has keys".
   */
  private JWKSource<SecurityContext> keySource(URL jwksUrl) throws KeySourceException {
    JWKSource<SecurityContext> keys =
        JWKSourceBuilder.<SecurityContext>create(jwksUrl, settings.http())
            .cache(settings.jwksCacheTtl().toMillis(), settings.httpTimeout().toMillis() * 2)
            .refreshAheadCache(false)
            .rateLimited(settings.refetchMinInterval().toMillis())
            .retrying(false)
            .outageTolerant(false)
            .build();
    if (keys.get(new JWKSelector(new JWKMatcher.Builder().build()), null).isEmpty()) {
      throw new KeySourceException("JWK set at " + jwksUrl + " has no keys");
    }
    return keys;
  }

  /** Built once per issuer; Nimbus's processor is thread-safe once configured. */
  private JWTProcessor<SecurityContext> newProcessor(JWKSource<SecurityContext> keys) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    DefaultJOSEObjectTypeVerifier<SecurityContext> jwtOrNoType =
        new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null);
    p.setJWSTypeVerifier(
        (type, context) -> {
          try {
            jwtOrNoType.verify(type, context);
          } catch (BadJOSEException e) {
            throw new ClaimRejectedException(Reason.TYPE_NOT_ALLOWED);
          }
        });
    p.setJWSKeySelector(new IssuerKeySelector(keys));
    p.setJWSVerifierFactory(new VerifierFactory());
    p.setJWTClaimsSetVerifier(
        new IdTokenClaimsVerifier(config, settings.clock(), settings.skew()));
    return p;
  }
}
