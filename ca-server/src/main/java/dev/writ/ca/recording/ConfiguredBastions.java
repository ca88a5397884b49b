package dev.writ.ca.recording;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.config.CaConfig;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bastions of the CA config ({@code bastions: [{name, public_key}]}), recognised by a JWT in
 * {@code Authorization: Bearer} that the bastion signs with its own key (EdDSA for Ed25519, ES256
 * for P-256): {@code iss} and {@code sub} are its name, {@code aud} contains {@value #AUDIENCE},
 * {@code jti} is present, and {@code exp} is at most 60 s after {@code iat}, with 30 s of skew.
 *
 * <p>A stand-in until the bastion's own authentication at the CA is merged: that one also
 * remembers every {@code jti} against replay, which an idempotent, signed upload does not need.
 */
public final class ConfiguredBastions implements BastionAuthenticator {

    static final String AUDIENCE = "writ-ca";
    private static final Duration MAX_LIFETIME = Duration.ofSeconds(60);
    private static final Duration SKEW = Duration.ofSeconds(30);
    private static final int MAX_LENGTH = 8 * 1024;

    /** A configured bastion, and its key as the JDK's own Ed25519 verifies with it. */
    private record Registered(RecordingUploader uploader, PublicKey verifyingKey) {
    }

    private final Map<String, Registered> bastions = new LinkedHashMap<>();
    private final Clock clock;

    public ConfiguredBastions(List<CaConfig.Bastion> configured, Clock clock) {
        this.clock = clock;
        for (CaConfig.Bastion bastion : configured) {
            bastions.put(bastion.name(), register(bastion));
        }
    }

    @Override
    public RecordingUploader authenticate(String bearer) throws RequestRefused {
        if (bearer == null || bearer.isBlank() || bearer.length() > MAX_LENGTH) {
            throw refused("a bastion token (a JWT signed by the bastion's key) is required");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(bearer);
            claims = jwt.getJWTClaimsSet();
        } catch (Exception e) {
            throw refused("malformed token"); // any parser exception is a rejection
        }
        Registered bastion = claims.getIssuer() == null ? null : bastions.get(claims.getIssuer());
        if (bastion == null) {
            throw refused("unknown bastion");
        }
        if (!signedBy(jwt, bastion.verifyingKey())) {
            throw refused("bad signature");
        }
        checkClaims(claims, bastion.uploader().name());
        return bastion.uploader();
    }

    private static boolean signedBy(SignedJWT jwt, PublicKey key) {
        JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
        try {
            if (key instanceof ECPublicKey ec) {
                return JWSAlgorithm.ES256.equals(algorithm) && jwt.verify(new ECDSAVerifier(ec));
            }
            if (!JWSAlgorithm.EdDSA.equals(algorithm) && !JWSAlgorithm.Ed25519.equals(algorithm)) {
                return false;
            }
            Signature ed25519 = Signature.getInstance("Ed25519");
            ed25519.initVerify(key);
            ed25519.update(jwt.getSigningInput());
            return ed25519.verify(jwt.getSignature().decode());
        } catch (Exception e) {
            return false;
        }
    }

    private void checkClaims(JWTClaimsSet claims, String name) throws RequestRefused {
        Instant now = clock.instant();
        Instant issued = instant(claims.getIssueTime());
        Instant expires = instant(claims.getExpirationTime());
        if (!name.equals(claims.getSubject())) {
            throw refused("sub must equal iss");
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(AUDIENCE)) {
            throw refused("aud must contain " + AUDIENCE);
        }
        if (claims.getJWTID() == null || claims.getJWTID().isEmpty()) {
            throw refused("jti is required");
        }
        if (issued == null || expires == null || !expires.isAfter(issued)
                || Duration.between(issued, expires).compareTo(MAX_LIFETIME) > 0) {
            throw refused("iat and exp are required, exp at most " + MAX_LIFETIME.toSeconds() + " s after iat");
        }
        if (issued.isAfter(now.plus(SKEW))) {
            throw refused("token not valid yet");
        }
        if (!expires.plus(SKEW).isAfter(now)) {
            throw refused("token expired");
        }
    }

    /** The configured key; for Ed25519 also re-encoded for the JDK (MINA may parse it with another provider). */
    private static Registered register(CaConfig.Bastion bastion) {
        try {
            PublicKey key = PublicKeys.parse(bastion.publicKey());
            RecordingUploader uploader = new RecordingUploader(bastion.name(), key);
            if (key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256) {
                return new Registered(uploader, key);
            }
            return new Registered(uploader,
                    KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(key.getEncoded())));
        } catch (InvalidKeyException | java.security.GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("bastion " + bastion.name()
                    + ": public_key must be an ssh-ed25519 or ecdsa-sha2-nistp256 line");
        }
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }

    private static RequestRefused refused(String why) {
        return RequestRefused.unauthorized("invalid_bastion_token", "bastion token rejected: " + why);
    }
}
