package dev.writ.ca.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.protocol.api.RenewalProof;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * Renewal proofs with any header and claims, for tests of what the CA refuses. Well-formed
 * proofs in tests come from {@link RenewalProof#sign}, as on a real host.
 */
final class TestProofs {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private TestProofs() {
    }

    static Map<String, Object> header() {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "EdDSA");
        header.put("typ", RenewalProof.TYPE);
        return header;
    }

    /** The claims a host would sign for {@code certificate} at {@code now}, valid two minutes. */
    static Map<String, Object> claims(String certificate, Instant now) throws Exception {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", RenewalProof.audience(caKey(certificate)));
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plusSeconds(120).getEpochSecond());
        claims.put("jti", "test");
        claims.put(RenewalProof.CLAIM_CERT, certificate);
        return claims;
    }

    static java.security.PublicKey caKey(String certificate) throws Exception {
        return ((OpenSshCertificate) PublicKeys.parse(certificate)).getCaPubKey();
    }

    /** Signs with Ed25519 whatever the header says. */
    static String sign(KeyPair key, Map<String, Object> header, Map<String, Object> claims) throws Exception {
        String input = BASE64URL.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + BASE64URL.encodeToString(JSON.writeValueAsBytes(claims));
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(key.getPrivate());
        ed25519.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + BASE64URL.encodeToString(ed25519.sign());
    }
}
