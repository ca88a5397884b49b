package dev.writ.ca.session;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AssertionIds;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.token.EdDsaVerifier;
import dev.writ.protocol.api.BastionAssertion;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies the short-lived JWT a bastion sends with every call (see {@link BastionAssertion}):
 * signature by the key its registration names, {@code iss = sub =} its name, our audience, a
 * lifetime of at most 60 s with bounded skew, and a {@code jti} never seen before: in this process
 * ({@link #BastionAssertions(List, Clock)}), or by any replica on the store
 * ({@link #BastionAssertions(List, Clock, AssertionIds)}).
 */
public final class BastionAssertions {

    static final Duration SKEW = Duration.ofSeconds(30);
    private static final int MAX_LENGTH = 8 * 1024;
    private static final int MAX_JTI_LENGTH = 128;
    private static final int MAX_REMEMBERED = 100_000;

    private final Map<String, Registered> bastions = new LinkedHashMap<>();
    private final Clock clock;
    /** jti → when it stops mattering; an assertion cannot be replayed before it expires. Without a store only. */
    private final Map<String, Instant> seen = new ConcurrentHashMap<>();
    /** The store's table of used ids, shared by the replicas; null to remember them in memory. */
    private final AssertionIds used;

    private record Registered(BastionRegistration registration, JWSAlgorithm algorithm, JWSVerifier verifier) {
    }

    /** Remembers used ids in this process only: for a single CA without a store (tests, a bastion's test double). */
    public BastionAssertions(List<BastionRegistration> registrations, Clock clock) {
        this(registrations, clock, null);
    }

    /** Remembers used ids in the store, so that an id used at one replica is refused at every other. */
    public BastionAssertions(List<BastionRegistration> registrations, Clock clock, AssertionIds used) {
        this.clock = clock;
        this.used = used;
        for (BastionRegistration registration : registrations) {
            bastions.put(registration.name(), register(registration));
        }
    }

    /** The bastion that signed {@code token}, or a 401 refusal saying why not. */
    public BastionRegistration verify(String token) throws RequestRefused {
        if (token == null || token.isBlank() || token.length() > MAX_LENGTH) {
            throw refused("a bastion assertion (signed JWT) is required: Authorization: Bearer <jwt>");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (Exception e) {
            throw refused("malformed assertion"); // any parser exception is a rejection
        }
        Registered bastion = claims.getIssuer() == null ? null : bastions.get(claims.getIssuer());
        if (bastion == null) {
            throw refused("unknown bastion");
        }
        if (!bastion.algorithm().equals(jwt.getHeader().getAlgorithm())) {
            throw refused("algorithm must be " + bastion.algorithm() + " for this bastion's key");
        }
        try {
            if (!jwt.verify(bastion.verifier())) {
                throw refused("bad signature");
            }
        } catch (JOSEException e) {
            throw refused("bad signature");
        }
        checkClaims(claims, bastion.registration().name());
        return bastion.registration();
    }

    private void checkClaims(JWTClaimsSet claims, String name) throws RequestRefused {
        Instant now = clock.instant();
        if (!name.equals(claims.getSubject())) {
            throw refused("sub must equal iss");
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(BastionAssertion.AUDIENCE)) {
            throw refused("aud must contain " + BastionAssertion.AUDIENCE);
        }
        Instant issued = instant(claims.getIssueTime());
        Instant expires = instant(claims.getExpirationTime());
        if (issued == null || expires == null) {
            throw refused("iat and exp are required");
        }
        if (Duration.between(issued, expires).compareTo(BastionAssertion.MAX_LIFETIME) > 0 || !expires.isAfter(issued)) {
            throw refused("exp must be after iat and at most " + BastionAssertion.MAX_LIFETIME.toSeconds() + " s later");
        }
        if (issued.isAfter(now.plus(SKEW)) || (claims.getNotBeforeTime() != null
                && instant(claims.getNotBeforeTime()).isAfter(now.plus(SKEW)))) {
            throw refused("assertion not valid yet");
        }
        if (!expires.plus(SKEW).isAfter(now)) {
            throw refused("assertion expired");
        }
        String jti = claims.getJWTID();
        if (jti == null || jti.isEmpty() || jti.length() > MAX_JTI_LENGTH) {
            throw refused("jti is required");
        }
        if (used != null) {
            boolean first;
            try {
                first = used.firstUse(name, jti, expires.plus(SKEW), now);
            } catch (StoreException e) {
                throw RequestRefused.unavailable("store_unavailable", "cannot check the assertion's jti: the store is unavailable");
            }
            if (!first) {
                throw refused("assertion replayed (jti already used)");
            }
            return;
        }
        forgetExpired(now);
        if (seen.size() >= MAX_REMEMBERED) {
            throw refused("too many assertions in flight; retry");
        }
        if (seen.putIfAbsent(name + " " + jti, expires.plus(SKEW)) != null) {
            throw refused("assertion replayed (jti already used)");
        }
    }

    private void forgetExpired(Instant now) {
        seen.values().removeIf(until -> until.isBefore(now));
    }

    private static Registered register(BastionRegistration registration) {
        PublicKey key = registration.key();
        try {
            if (key instanceof ECPublicKey ec) {
                return new Registered(registration, JWSAlgorithm.ES256, new ECDSAVerifier(ec));
            }
            // the JDK verifies Ed25519 natively; re-encode whichever provider parsed the key into a JDK key
            EdECPublicKey ed = (EdECPublicKey) KeyFactory.getInstance("Ed25519")
                    .generatePublic(new X509EncodedKeySpec(key.getEncoded()));
            return new Registered(registration, JWSAlgorithm.EdDSA, new EdDsaVerifier(ed));
        } catch (JOSEException | GeneralSecurityException e) {
            throw new IllegalArgumentException("bastion " + registration.name() + ": unusable public_key: " + e.getMessage(), e);
        }
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }

    private static RequestRefused refused(String why) {
        return RequestRefused.unauthorized("invalid_bastion_assertion", "bastion assertion rejected: " + why);
    }
}
