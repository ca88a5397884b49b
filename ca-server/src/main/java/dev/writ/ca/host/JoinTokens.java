package dev.writ.ca.host;

import dev.writ.policy.Identity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/** Join token secrets: how they are made, hashed for the store, and which identity they prove. */
public final class JoinTokens {

    /**
     * The issuer of the identity a join token proves, matched by host rules. Configured OIDC
     * issuers are http(s) URLs, so no token from an identity provider can claim it.
     */
    public static final String ISSUER = "writ:join-token";
    /** A recognizable prefix, so that secret scanners and people can tell what leaked. */
    static final String PREFIX = "wjt_";
    private static final Pattern FORMAT = Pattern.compile(PREFIX + "[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private JoinTokens() {
    }

    /** A new secret: 256 random bits. */
    static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Whether the text has the shape of a secret we made (checked before any lookup). */
    public static boolean wellFormed(String secret) {
        return FORMAT.matcher(secret).matches();
    }

    /** The hex SHA-256 that the store keeps instead of the secret. */
    static String hash(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The short name of a token in logs and audit events: not enough of the hash to find the secret. */
    static String id(String hash) {
        return hash.substring(0, 12);
    }

    /** The identity a join token proves to the host rules: {@code sub} names the token, {@code created_by} the admin. */
    static Identity identity(String hash, String createdBy) {
        return Identity.fromClaims(ISSUER, Map.of("sub", "join-token:" + id(hash), "created_by", createdBy));
    }
}
