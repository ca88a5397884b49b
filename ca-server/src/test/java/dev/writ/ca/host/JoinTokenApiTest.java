package dev.writ.ca.host;

import static dev.writ.ca.host.HostTesting.answer;
import static dev.writ.ca.host.HostTesting.detail;
import static dev.writ.ca.host.HostTesting.ed25519;
import static dev.writ.ca.host.HostTesting.json;
import static dev.writ.ca.host.HostTesting.line;
import static dev.writ.ca.host.HostTesting.principals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Join tokens: created by admins only, shown once, stored hashed, single use, bound to hostnames, expiring. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JoinTokenApiTest {

    @TempDir
    static Path dir;
    TestIdp idp;
    HostTestCa ca;
    MovableClock clock = new MovableClock();
    String admin;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        ca = HostTestCa.start(dir, idp, HostCertificateApiTest.POLICY.formatted(HostTestCa.ciIssuer(idp)), clock);
        admin = "Bearer " + ca.personToken("alice@example.com", List.of("writ-admins"));
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    HttpResponse<String> create(String authorization, String body) throws Exception {
        return ca.post("/v1/join-tokens", authorization, body);
    }

    /** A new join token for these hostnames, by the admin. */
    String joinToken(String ttl, String... hostnames) throws Exception {
        HttpResponse<String> response = create(admin, json("hostnames", List.of(hostnames), "ttl", ttl));
        assertEquals(201, response.statusCode(), response.body());
        return answer(response).get("token").asText();
    }

    HttpResponse<String> spend(String token, String... hostnames) throws Exception {
        return ca.post("/v1/certs/host", "JoinToken " + token, json("public_key", line(ed25519()), "hostnames", List.of(hostnames)));
    }

    @Nested
    class Creating {

        @Test
        void showsTheSecretOnceAndStoresOnlyItsHash() throws Exception {
            Instant before = Instant.now();
            HttpResponse<String> response = create(admin, json("hostnames", List.of("web07.example.com")));
            assertEquals(201, response.statusCode(), response.body());
            assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(""));
            String token = answer(response).get("token").asText();
            assertTrue(token.matches("wjt_[A-Za-z0-9_-]{43}"), token);
            long lifetime = Instant.parse(answer(response).get("expires_at").asText()).getEpochSecond() - before.getEpochSecond();
            assertTrue(Math.abs(lifetime - 1800) <= 5, "lives " + lifetime + " s");

            String hash = JoinTokens.hash(token);
            assertEquals(1, ca.count("SELECT COUNT(*) FROM join_tokens WHERE hash = '" + hash
                    + "' AND hostnames = '[\"web07.example.com\"]' AND created_by = 'alice@example.com' AND used_at IS NULL"));
            assertEquals(0, ca.count("SELECT COUNT(*) FROM join_tokens WHERE hash LIKE '%" + token.substring(4) + "%'"));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'join_token.created'"
                    + " AND actor = 'alice@example.com' AND details LIKE '%\"join_token\":\"" + hash.substring(0, 12) + "\"%'"
                    + " AND details LIKE '%\"rule\":\"joined-machines\"%'"));
            assertEquals(0, ca.count("SELECT COUNT(*) FROM audit_events WHERE details LIKE '%" + token.substring(4) + "%'"));
        }

        static Stream<Arguments> refusals() {
            return Stream.of(
                    Arguments.of("fail/outside-the-join-token-rule", json("hostnames", List.of("db01.internal.net")), 403,
                            "no join token for db01.internal.net: hostname db01.internal.net is not allowed for rule 'joined-machines'"),
                    Arguments.of("fail/ttl-above-a-day", json("hostnames", List.of("web07.example.com"), "ttl", "2d"), 400,
                            "requested ttl 2d exceeds the maximum of 1d for join tokens"),
                    Arguments.of("fail/no-hostname", json("ttl", "30m"), 400, "hostnames must name at least one hostname"),
                    Arguments.of("fail/wildcard", json("hostnames", List.of("*.example.com")), 400,
                            "hostname '*.example.com' has a wildcard; request exact hostnames"),
                    Arguments.of("fail/unknown-field", json("hostnames", List.of("web07.example.com"), "uses", "3"), 400,
                            "unknown field 'uses'"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("refusals")
        void refusesWhatNoHostRuleWouldHonour(String name, String body, int status, String detail) throws Exception {
            long before = ca.count("SELECT COUNT(*) FROM join_tokens");
            HttpResponse<String> response = create(admin, body);
            assertEquals(status, response.statusCode(), response.body());
            assertEquals(detail, detail(response));
            assertEquals(before, ca.count("SELECT COUNT(*) FROM join_tokens"));
        }

        @Test
        void isForAdminsOnly() throws Exception {
            HttpResponse<String> response = create("Bearer " + ca.personToken("bob@example.com", List.of("engineering")),
                    json("hostnames", List.of("web07.example.com")));
            assertEquals(403, response.statusCode(), response.body());
            assertEquals("bob@example.com is not a writ admin", detail(response));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                    + " AND actor = 'bob@example.com' AND details LIKE '%not_admin%'"));
        }

        @Test
        void refusesWorkloadTokensAndAnonymousCallers() throws Exception {
            HttpResponse<String> workload = create("Bearer " + ca.ciToken("infra/web", "main"),
                    json("hostnames", List.of("web07.example.com")));
            assertEquals(403, workload.statusCode());
            assertEquals("project_path:infra/web:ref_type:branch:ref:main is not a writ admin", detail(workload));
            HttpResponse<String> anonymous = create(null, json("hostnames", List.of("web07.example.com")));
            assertEquals(401, anonymous.statusCode());
            assertEquals("an OIDC ID token is required: Authorization: Bearer <token>", detail(anonymous));
        }
    }

    @Nested
    class Spending {

        @Test
        void givesOneHostCertificateForTheNamedHostnames() throws Exception {
            String token = joinToken("30m", "web07.example.com", "web07.lan.example.com");
            HttpResponse<String> response = spend(token, "web07.example.com");
            assertEquals(201, response.statusCode(), response.body());
            assertEquals(List.of("web07.example.com"), principals(response));
            long serial = Long.parseUnsignedLong(answer(response).get("serial").asText());
            String hash = JoinTokens.hash(token);
            assertEquals(1, ca.count("SELECT COUNT(*) FROM host_certificates WHERE serial = " + serial
                    + " AND rule = 'joined-machines' AND via = 'join_token' AND join_token = '" + hash + "'"));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM join_tokens WHERE hash = '" + hash + "' AND used_serial = " + serial));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM certificates WHERE serial = " + serial
                    + " AND key_id = 'join-token:" + hash.substring(0, 12) + "' AND issuer = 'writ:join-token'"));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued'"
                    + " AND details LIKE '%\"via\":\"join_token\"%' AND details LIKE '%" + hash.substring(0, 12) + "%'"));
        }

        @Test
        void refusesATokenUsedTwice() throws Exception {
            String token = joinToken("30m", "web08.example.com");
            assertEquals(201, spend(token, "web08.example.com").statusCode());
            long certificates = ca.count("SELECT COUNT(*) FROM certificates");
            HttpResponse<String> again = spend(token, "web08.example.com");
            assertEquals(401, again.statusCode(), again.body());
            assertEquals("join token rejected: already used", detail(again));
            assertEquals(certificates, ca.count("SELECT COUNT(*) FROM certificates"));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                    + " AND actor = 'join-token:" + JoinTokens.hash(token).substring(0, 12) + "'"));
        }

        @Test
        void refusesAnExpiredToken() throws Exception {
            String token = joinToken("10m", "web09.example.com");
            clock.advance(Duration.ofMinutes(10));
            HttpResponse<String> response = spend(token, "web09.example.com");
            assertEquals(401, response.statusCode(), response.body());
            assertTrue(detail(response).startsWith("join token rejected: expired at "), detail(response));
            assertEquals(0, ca.count("SELECT COUNT(*) FROM join_tokens WHERE hash = '" + JoinTokens.hash(token)
                    + "' AND used_at IS NOT NULL"));
        }

        @Test
        void refusesAHostnameTheTokenDoesNotNameAndStaysUnspent() throws Exception {
            String token = joinToken("30m", "web10.example.com");
            HttpResponse<String> response = spend(token, "web10.example.com", "web11.example.com");
            assertEquals(403, response.statusCode(), response.body());
            assertEquals("hostname web11.example.com is not named by the join token (it names web10.example.com)",
                    detail(response));
            assertEquals(201, spend(token, "web10.example.com").statusCode());
        }

        @Test
        void letsExactlyOneOfManyConcurrentRequestsSpendAToken() throws Exception {
            String token = joinToken("30m", "web12.example.com");
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Callable<Integer>> attempts = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    attempts.add(() -> spend(token, "web12.example.com").statusCode());
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<Integer> status : pool.invokeAll(attempts)) {
                    statuses.add(status.get());
                }
                assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
                assertEquals(7, statuses.stream().filter(s -> s == 401).count(), statuses.toString());
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, ca.count("SELECT COUNT(*) FROM host_certificates WHERE join_token = '" + JoinTokens.hash(token) + "'"));
        }
    }
}
