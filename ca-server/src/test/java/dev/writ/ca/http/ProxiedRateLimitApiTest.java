package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.MutableClock;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A CA behind a TLS-terminating proxy, configured to key its per-address limits on the address
 * the proxy appended to {@code X-Forwarded-For}. Each case is a fresh series of requests from one
 * forwarded address, so the cases are independent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxiedRateLimitApiTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    final MutableClock clock = new MutableClock(Instant.now());
    TestIdp idp;
    TestCa ca;
    int people;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp(clock);
        ca = TestCa.start(dir, idp.issuerUrl(), """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["{{email.local}}"]
                    max_ttl: 8h
                """, clock, """
                tls_terminated_by_proxy: true
                rate_limits:
                  client_address: x_forwarded_for
                  issuance:
                    per_address: { requests: 1, per: 1h }
                """);
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    HttpResponse<String> issue(List<String> forwardedFor) throws Exception {
        String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ca.url() + "/v1/certs/user"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + idp.idToken("p" + (++people) + "@example.com", List.of("engineering")))
                .POST(HttpRequest.BodyPublishers.ofString("{\"public_key\":\"" + key + "\"}"));
        forwardedFor.forEach(value -> request.header("X-Forwarded-For", value));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("ok/one-address", List.of("198.51.100.1"), List.of("198.51.100.1"), "198.51.100.1"),
                Arguments.of("ok/the-last-of-a-list-is-the-proxys", List.of("203.0.113.9, 198.51.100.2"),
                        List.of("198.51.100.3, 198.51.100.2"), "198.51.100.2"),
                Arguments.of("ok/the-last-header-counts", List.of("198.51.100.4", "198.51.100.5"), List.of("198.51.100.5"),
                        "198.51.100.5"),
                Arguments.of("ok/ipv6", List.of("2001:db8::7"), List.of("2001:db8::7"), "2001:db8::7"),
                Arguments.of("fail/not-an-address-falls-back-to-the-socket", List.of("evil.example.com"), List.of(),
                        "127.0.0.1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void limitsTheAddressTheProxyAppended(String name, List<String> first, List<String> second, String limited)
            throws Exception {
        clock.advance(Duration.ofHours(2)); // every address's allowance is full again
        assertEquals(201, issue(first).statusCode(), name + ": the first request");
        HttpResponse<String> again = issue(second);
        assertEquals(429, again.statusCode(), again.body());
        assertEquals("too many certificate requests from " + limited + ": at most 1 per 3600 s; try again in 3600 s",
                JSON.readTree(again.body()).get("detail").asText());
    }
}
