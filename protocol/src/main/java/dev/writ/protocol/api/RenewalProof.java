package dev.writ.protocol.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.digest.BuiltinDigests;

/**
 * The proof of possession that {@code POST /v1/certs/host/renew} asks for: a compact JWS, signed
 * with the host's current private key, whose claims carry the host's current certificate.
 *
 * <pre>
 * header  {"alg":"EdDSA","typ":"writ-renewal+jwt"}
 * claims  {"aud":"writ-host-ca:SHA256:...", "iat":..., "exp":..., "jti":"...",
 *          "cert":"ssh-ed25519-cert-v01@openssh.com AAAA...", "public_key":"ssh-ed25519 AAAA..."?}
 * </pre>
 *
 * <p>The audience names the CA by the host CA key that signed the certificate (see
 * {@link #audience}): the host knows it from its own certificate, and the CA's URL is not a
 * stable name behind proxies. {@code public_key}, when present, is the new key to certify.
 *
 * <p>Signing is written out here (a JWS is three base64url parts) because the only JOSE library
 * of writ, Nimbus, signs Ed25519 through Tink, which writ does not carry; the JDK signs Ed25519
 * itself. The CA verifies with Nimbus.
 */
public final class RenewalProof {

    /** The JWS {@code typ}: keeps a renewal proof from being mistaken for any other JWT. */
    public static final String TYPE = "writ-renewal+jwt";
    public static final String CLAIM_CERT = "cert";
    public static final String CLAIM_PUBLIC_KEY = "public_key";
    /** The longest a proof may live ({@code exp - iat}); the CA refuses longer ones. */
    public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);
    /** What the CLI asks for: well inside the maximum, with room for clock skew. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(2);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private RenewalProof() {
    }

    /** The audience that names the CA whose host CA key is {@code hostCaKey}: {@code writ-host-ca:SHA256:...}. */
    public static String audience(PublicKey hostCaKey) {
        try {
            byte[] raw = KeyUtils.getRawFingerprint(BuiltinDigests.sha256, hostCaKey);
            return "writ-host-ca:SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(raw);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot fingerprint a " + hostCaKey.getAlgorithm() + " key", e);
        }
    }

    /**
     * Signs a proof with the host's current Ed25519 key.
     *
     * @param certificate  the current host certificate, one OpenSSH line
     * @param hostCaKey    the CA key that signed it (the certificate's signature key)
     * @param newPublicKey the new key to certify, one OpenSSH line, or null to renew the current key
     */
    public static String sign(KeyPair hostKey, String certificate, PublicKey hostCaKey, String newPublicKey,
                              Instant now, Duration lifetime) throws GeneralSecurityException {
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("a renewal proof lives between 1 s and " + MAX_LIFETIME.toMinutes() + " min");
        }
        String algorithm = hostKey.getPrivate().getAlgorithm();
        if (!algorithm.equals("Ed25519") && !algorithm.equals("EdDSA")) {
            throw new IllegalArgumentException("renewal proofs are signed with Ed25519 host keys; this key is " + algorithm);
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "EdDSA");
        header.put("typ", TYPE);
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", audience(hostCaKey));
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(lifetime).getEpochSecond());
        byte[] jti = new byte[16];
        RANDOM.nextBytes(jti);
        claims.put("jti", BASE64URL.encodeToString(jti));
        claims.put(CLAIM_CERT, certificate.strip());
        if (newPublicKey != null) {
            claims.put(CLAIM_PUBLIC_KEY, newPublicKey.strip());
        }
        String signingInput = part(header) + "." + part(claims);
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(hostKey.getPrivate());
        ed25519.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + BASE64URL.encodeToString(ed25519.sign());
    }

    private static String part(Map<String, Object> json) {
        try {
            return BASE64URL.encodeToString(JSON.writeValueAsBytes(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a renewal proof", e);
        }
    }
}
