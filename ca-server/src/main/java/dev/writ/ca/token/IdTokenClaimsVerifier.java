package dev.writ.ca.token;

import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * The claim checks of an ID token (OpenID Connect Core 3.1.3.7), run by Nimbus's {@code
 * DefaultJWTProcessor} once the signature has been verified.
 *
 * <p>Written out here rather than configured on Nimbus's {@code DefaultJWTClaimsVerifier}
 * because that class checks neither {@code iat} nor {@code azp}, and reports failures only as
 * prose; each check below fails with its own client-safe reason. Times come from the injected
 * clock.
 */
final class IdTokenClaimsVerifier implements JWTClaimsSetVerifier<SecurityContext> {

  private final String issuer;
  private final String audience;
  private final Clock clock;
  private final Duration skew;

  IdTokenClaimsVerifier(IssuerConfig config, Clock clock, Duration skew) {
    this.issuer = config.issuer();
    this.audience = config.audience();
    this.clock = clock;
    this.skew = skew;
  }

  @Override
  public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
    // 1. iss: the issuer was picked by this very claim; checked again so this class stands alone.
    if (!issuer.equals(claims.getIssuer())) {
      throw new ClaimRejectedException(Reason.UNKNOWN_ISSUER);
    }
    // 2. aud must name us; with several audiences, azp must name us too.
    List<String> aud = claims.getAudience();
    if (!aud.contains(audience)) {
      throw new ClaimRejectedException(Reason.AUDIENCE_MISMATCH);
    }
    if (aud.size() > 1 && !audience.equals(claims.getClaim("azp"))) {
      throw new ClaimRejectedException(Reason.AUTHORIZED_PARTY_MISMATCH);
    }
    // 3. time: exp required and not passed, nbf and iat not ahead, each with the skew.
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new ClaimRejectedException(Reason.MISSING_EXP);
    }
    if (!now.isBefore(exp.toInstant().plus(skew))) {
      throw new ClaimRejectedException(Reason.EXPIRED);
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.toInstant().isAfter(now.plus(skew))) {
      throw new ClaimRejectedException(Reason.NOT_YET_VALID);
    }
    Date iat = claims.getIssueTime();
    if (iat != null && iat.toInstant().isAfter(now.plus(skew))) {
      throw new ClaimRejectedException(Reason.ISSUED_IN_FUTURE);
    }
    // 4. sub: the identity everything downstream keys on.
    String sub = claims.getSubject();
    if (sub == null || sub.isBlank()) {
      throw new ClaimRejectedException(Reason.MISSING_SUB);
    }
  }

  /** A claim check failed; the message is one of the {@link Reason} constants. */
  static final class ClaimRejectedException extends BadJWTException {

    private static final long serialVersionUID = 1L;

    ClaimRejectedException(String reason) {
      super(reason);
    }
  }
}
