package dev.writ.ca.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** A bastion's key and the assertions it signs, for tests of the CA's bastion endpoints. */
final class TestBastion {

    static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final KeyPair keys;

    private TestBastion(String name, KeyPair keys) {
        this.name = name;
        this.keys = keys;
    }

    static TestBastion ed25519(String name) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        return new TestBastion(name, KeyUtils.generateKeyPair("ssh-ed25519", 256));
    }

    static TestBastion ecdsa(String name) throws Exception {
        return new TestBastion(name, KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256));
    }

    String publicKeyLine() {
        return PublicKeyEntry.toString(keys.getPublic());
    }

    /** Its entry in the CA config's {@code bastions:} list. */
    String registration(List<String> hostnames) {
        return "  - name: " + name + "\n    public_key: \"" + publicKeyLine() + "\"\n    addresses: [\"127.0.0.1\"]\n"
                + "    hostnames: [" + String.join(", ", hostnames.stream().map(h -> "\"" + h + "\"").toList()) + "]\n";
    }

    /** A correct assertion: iss = sub = name, aud writ-ca, 30 s, fresh jti. */
    String assertion() throws Exception {
        return sign(claims(Instant.now(), 30));
    }

    Map<String, Object> claims(Instant issuedAt, long lifetimeSeconds) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", name);
        claims.put("sub", name);
        claims.put("aud", "writ-ca");
        claims.put("iat", issuedAt.getEpochSecond());
        claims.put("exp", issuedAt.getEpochSecond() + lifetimeSeconds);
        claims.put("jti", UUID.randomUUID().toString());
        return claims;
    }

    String sign(Map<String, Object> claims) throws Exception {
        boolean ec = keys.getPrivate() instanceof ECPrivateKey;
        return sign(ec ? "ES256" : "EdDSA", claims);
    }

    String sign(String alg, Map<String, Object> claims) throws Exception {
        String header = Base64URL.encode(JSON.writeValueAsBytes(Map.of("alg", alg))).toString();
        String payload = Base64URL.encode(JSON.writeValueAsBytes(claims)).toString();
        byte[] input = (header + "." + payload).getBytes(StandardCharsets.US_ASCII);
        Base64URL signature;
        if (keys.getPrivate() instanceof ECPrivateKey ecKey) {
            signature = new ECDSASigner(ecKey).sign(new JWSHeader(JWSAlgorithm.ES256), input);
        } else {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initSign(keys.getPrivate());
            ed.update(input);
            signature = Base64URL.encode(ed.sign());
        }
        return header + "." + payload + "." + signature;
    }
}
