package dev.writ.ca.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.writ.ca.testing.TestCa;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad token, sent to the real CA over HTTP: 401 with the reason, and no certificate. */
class TokenRejectionOverHttpTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static LocalIssuer idp;
    static LocalIssuer second;
    static TestCa ca;
    static String body;

    @BeforeAll
    static void start() throws Exception {
        idp = LocalIssuer.start();
        second = LocalIssuer.start();
        ca = TestCa.start(dir, List.of(idp.url(), second.url()), """
                roles:
                  - name: anyone
                    match: { claims: { sub: ["*"] } }
                    principals: [someone]
                    max_ttl: 1h
                """, Clock.systemUTC());
        body = "{\"public_key\":\"" + PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic()) + "\"}";
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
        second.close();
    }

    static Stream<Arguments> badTokens() {
        Instant now = Instant.now();
        return Stream.of(
                Arguments.of("fail/alg-none", (Supplier<String>) () -> TestTokens.unsecured(idp.claims().build()),
                        "algorithm not allowed"),
                Arguments.of("fail/hs256-keyed-with-the-rsa-public-key", (Supplier<String>) () -> hs256WithPublicKey(),
                        "algorithm not allowed"),
                Arguments.of("fail/wrong-iss", (Supplier<String>) () -> idp.sign(idp.claims().issuer("https://evil.example.com").build()),
                        "unknown issuer"),
                Arguments.of("fail/wrong-aud", (Supplier<String>) () -> idp.sign(idp.claims().audience("someone-else").build()),
                        "audience mismatch"),
                Arguments.of("fail/expired", (Supplier<String>) () -> idp.sign(idp.claims(now.minusSeconds(7200))
                        .expirationTime(Date.from(now.minusSeconds(3600))).build()), "token expired"),
                Arguments.of("fail/nbf-in-future", (Supplier<String>) () -> idp.sign(idp.claims()
                        .notBeforeTime(Date.from(now.plusSeconds(600))).build()), "token not yet valid"),
                Arguments.of("fail/no-exp", (Supplier<String>) () -> idp.sign(idp.claims().expirationTime(null).build()),
                        "missing exp claim"),
                Arguments.of("fail/unknown-kid", (Supplier<String>) () -> TestTokens.sign(
                        TestTokens.header(JWSAlgorithm.RS256, "nobody-knows-me").build(), idp.claims().build(),
                        TestTokens.freshRsaKey("nobody-knows-me")), "unknown signing key"),
                Arguments.of("fail/tampered-signature", (Supplier<String>) () ->
                        TestTokens.withFlippedSignatureChar(idp.sign(idp.claims().build())), "signature invalid"),
                Arguments.of("fail/tampered-payload", (Supplier<String>) () -> TestTokens.withPayload(idp.sign(idp.claims().build()),
                        idp.claims().subject("root").build()), "signature invalid"),
                Arguments.of("fail/jku-pointing-at-another-key-set", (Supplier<String>) () -> jkuToken(),
                        "signature invalid"),
                Arguments.of("fail/second-issuer-claiming-the-first", (Supplier<String>) () ->
                        second.sign(idp.claims().build()), "signature invalid"));
    }

    static String hs256WithPublicKey() {
        try {
            RSAKey key = idp.rsaKey();
            return TestTokens.hmac(JWSAlgorithm.HS256, key.getKeyID(), idp.claims().build(),
                    key.toRSAPublicKey().getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String jkuToken() {
        try (LocalIssuer attacker = LocalIssuer.start()) {
            return TestTokens.sign(TestTokens.header(JWSAlgorithm.RS256, idp.rsaKey().getKeyID())
                    .jwkURL(URI.create(attacker.url() + "/jwks")).build(), idp.claims().build(), attacker.rsaKey());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokens")
    void answers401WithTheReasonAndIssuesNothing(String name, Supplier<String> token, String reason) throws Exception {
        long before = certificates();
        HttpResponse<String> response = ca.post("/v1/certs/user", token.get(), body);
        assertEquals(401, response.statusCode(), response.body());
        assertEquals("token rejected: " + reason, JSON.readTree(response.body()).get("detail").asText());
        assertEquals(before, certificates());
    }

    @Test
    void issuesForAGoodTokenOfEitherIssuer() throws Exception {
        assertEquals(201, ca.post("/v1/certs/user", idp.sign(idp.claims().build()), body).statusCode());
        assertEquals(201, ca.post("/v1/certs/user", second.sign(second.claims().build()), body).statusCode());
    }

    static long certificates() throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM certificates")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
