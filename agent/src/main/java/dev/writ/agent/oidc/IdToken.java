package dev.writ.agent.oidc;

import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * What the CLI reads from an ID token it holds: who, from which issuer, until when. Reading is
 * not verifying: the CA verifies every token it is shown; {@link IdTokenCheck} checks a new one.
 *
 * @param serialized the compact JWT, which is a secret: never printed, never logged
 */
public record IdToken(String serialized, String issuer, String subject, String name, Instant expiresAt) {

    public static IdToken parse(String serialized) throws ParseException {
        JWT jwt = JWTParser.parse(serialized);
        if (!(jwt instanceof SignedJWT)) {
            throw new ParseException("not a signed JWT", 0);
        }
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        if (claims.getIssuer() == null || claims.getSubject() == null || claims.getExpirationTime() == null) {
            throw new ParseException("iss, sub or exp is missing", 0);
        }
        return new IdToken(serialized, claims.getIssuer(), claims.getSubject(), displayName(claims),
                claims.getExpirationTime().toInstant());
    }

    /** Still usable for at least {@code margin}: the CA must see it unexpired, across the network. */
    public boolean validFor(Duration margin, Clock clock) {
        return expiresAt.isAfter(clock.instant().plus(margin));
    }

    /** The email when there is one (the CA's key id), else the preferred username, else the subject. */
    private static String displayName(JWTClaimsSet claims) throws ParseException {
        String email = claims.getStringClaim("email");
        if (email != null && !email.isBlank()) {
            return email;
        }
        String username = claims.getStringClaim("preferred_username");
        return username != null && !username.isBlank() ? username : claims.getSubject();
    }

    @Override
    public String toString() {
        return "IdToken[" + name + " from " + issuer + ", expires " + expiresAt + "]";
    }
}
