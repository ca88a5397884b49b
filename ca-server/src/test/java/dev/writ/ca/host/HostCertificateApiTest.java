package dev.writ.ca.host;

import static dev.writ.ca.host.HostTesting.answer;
import static dev.writ.ca.host.HostTesting.detail;
import static dev.writ.ca.host.HostTesting.ed25519;
import static dev.writ.ca.host.HostTesting.json;
import static dev.writ.ca.host.HostTesting.keygenList;
import static dev.writ.ca.host.HostTesting.line;
import static dev.writ.ca.host.HostTesting.principals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code POST /v1/certs/host} with workload tokens, deploy certificates for CI, and the known_hosts lines. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostCertificateApiTest {

    /** The policy of these tests; %1$s is the CI issuer. */
    static final String POLICY = """
            roles:
              - name: ci-deploy
                match:
                  issuer: %1$s
                  claims: { project_path: [infra/web, infra/api], ref_protected: "true" }
                principals: [deploy]
                ttl: 10m
                max_ttl: 15m
                critical_options:
                  force-command: /usr/local/bin/deploy
                  source-address: "10.20.0.0/16"
            hosts:
              - name: web-fleet
                match: { issuer: %1$s, claims: { project_path: infra/web, ref: main } }
                hostnames: ["web*.example.com"]
                ttl: 7d
                max_ttl: 30d
              - name: api-fleet
                match: { issuer: %1$s, claims: { project_path: infra/api, ref: main } }
                hostnames: ["api??.example.com"]
                max_ttl: 2d
              - name: joined-machines
                match: { issuer: "writ:join-token" }
                hostnames: ["*.example.com"]
            admins:
              - match: { groups: [writ-admins] }
            """;
    static final String WEB_JOB = "project_path:infra/web:ref_type:branch:ref:main";

    @TempDir
    static Path dir;
    TestIdp idp;
    HostTestCa ca;
    String webJob;
    String hostKey;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        ca = HostTestCa.start(dir, idp, POLICY.formatted(HostTestCa.ciIssuer(idp)), new MovableClock());
        webJob = "Bearer " + ca.ciToken("infra/web", "main");
        hostKey = line(ed25519());
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    HttpResponse<String> request(String authorization, String body) throws Exception {
        return ca.post("/v1/certs/host", authorization, body);
    }

    @Nested
    class Issuing {

        @Test
        void issuesAHostCertificateForTheRequestedHostnamesCheckedBySshKeygen() throws Exception {
            Instant before = Instant.now();
            HttpResponse<String> response = request(webJob,
                    json("public_key", hostKey, "hostnames", List.of("web01.example.com", "web02.example.com")));
            assertEquals(201, response.statusCode(), response.body());
            JsonNode answer = answer(response);
            assertEquals(List.of("web01.example.com", "web02.example.com"), principals(response));

            String listing = keygenList(dir, answer.get("certificate").asText());
            assertTrue(listing.contains("host certificate"), listing);
            assertTrue(listing.contains("Key ID: \"" + WEB_JOB + "\""), listing);
            assertTrue(listing.contains("Serial: " + answer.get("serial").asText()), listing);
            assertTrue(listing.matches("(?s).*Principals: \\n\\s+web01.example.com\\n\\s+web02.example.com\\n.*"), listing);
            assertTrue(listing.matches("(?s).*Critical Options: \\(none\\)\\n\\s+Extensions: \\(none\\).*"), listing);
            // the rule's default of seven days
            long seconds = Instant.parse(answer.get("valid_before").asText()).getEpochSecond() - before.getEpochSecond();
            assertTrue(Math.abs(seconds - 7 * 86_400) <= 5, "valid for " + seconds + " s");
        }

        @Test
        void recordsTheRuleAndTheAuditEventBeforeAnswering() throws Exception {
            HttpResponse<String> response = request(webJob, json("public_key", hostKey, "hostnames", List.of("web03.example.com")));
            assertEquals(201, response.statusCode(), response.body());
            String serial = answer(response).get("serial").asText();
            long signed = Long.parseUnsignedLong(serial);
            assertEquals(1, ca.count("SELECT COUNT(*) FROM certificates WHERE serial = " + signed
                    + " AND kind = 'host' AND identity = '" + WEB_JOB + "' AND principals = '[\"web03.example.com\"]'"));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM host_certificates WHERE serial = " + signed
                    + " AND rule = 'web-fleet' AND via = 'workload' AND join_token IS NULL AND renewed_from IS NULL"));
            assertEquals(1, ca.count("SELECT COUNT(*) FROM audit_events WHERE type = 'certificate.issued' AND actor = '"
                    + WEB_JOB + "' AND details LIKE '%\"rule\":\"web-fleet\"%' AND details LIKE '%" + serial + "%'"));
        }

        @Test
        void honoursARequestedTtlAndTheDefaultOfARuleWithAShortMaximum() throws Exception {
            HttpResponse<String> oneDay = request(webJob,
                    json("public_key", hostKey, "hostnames", List.of("web01.example.com"), "ttl", "1d"));
            assertEquals(201, oneDay.statusCode(), oneDay.body());
            assertValidFor(86_400, oneDay);
            HttpResponse<String> api = request("Bearer " + ca.ciToken("infra/api", "main"),
                    json("public_key", hostKey, "hostnames", List.of("api07.example.com")));
            assertEquals(201, api.statusCode(), api.body());
            assertValidFor(2 * 86_400, api); // default 7d, capped by max_ttl 2d
        }

        @Test
        void namesEachHostnameOnce() throws Exception {
            HttpResponse<String> response = request(webJob, json("public_key", hostKey,
                    "hostnames", List.of("web02.example.com", "web01.example.com", "web02.example.com")));
            assertEquals(201, response.statusCode(), response.body());
            assertEquals(List.of("web02.example.com", "web01.example.com"), principals(response));
        }

        private void assertValidFor(long expectedSeconds, HttpResponse<String> response) throws Exception {
            long seconds = Instant.parse(answer(response).get("valid_before").asText()).getEpochSecond()
                    - Instant.now().getEpochSecond();
            assertTrue(Math.abs(seconds - expectedSeconds) <= 5, "valid for " + seconds + " s");
        }
    }

    static Stream<Arguments> refusals() throws Exception {
        String key = line(ed25519());
        return Stream.of(
                Arguments.of("fail/no-rule-matches-the-workload", "feature-x", json("public_key", key,
                                "hostnames", List.of("web01.example.com")), 403,
                        "no host certificate for project_path:infra/web:ref_type:branch:ref:feature-x: no host rule matches"),
                Arguments.of("fail/hostname-outside-the-patterns", "main", json("public_key", key,
                                "hostnames", List.of("web01.example.com", "db01.example.com")), 403,
                        "no host certificate for " + WEB_JOB + ": hostname db01.example.com is not allowed for rule 'web-fleet'"),
                Arguments.of("fail/ttl-above-the-rule-maximum", "main", json("public_key", key,
                                "hostnames", List.of("web01.example.com"), "ttl", "31d"), 400,
                        "requested ttl 31d exceeds the maximum of 30d for host rule 'web-fleet'"),
                Arguments.of("fail/ttl-not-a-duration", "main", json("public_key", key,
                                "hostnames", List.of("web01.example.com"), "ttl", "a week"), 400,
                        "ttl 'a week' is not a positive duration such as 30m, 8h or 7d"),
                Arguments.of("fail/hostnames-missing", "main", json("public_key", key), 400,
                        "hostnames must name at least one hostname"),
                Arguments.of("fail/hostnames-empty", "main", json("public_key", key, "hostnames", List.of()), 400,
                        "hostnames must name at least one hostname"),
                Arguments.of("fail/hostname-null", "main", json("public_key", key,
                                "hostnames", Arrays.asList("web01.example.com", null)), 400,
                        "empty hostname requested"),
                Arguments.of("fail/hostname-wildcard", "main", json("public_key", key, "hostnames", List.of("*.example.com")), 400,
                        "hostname '*.example.com' has a wildcard; request exact hostnames"),
                Arguments.of("fail/hostname-upper-case", "main", json("public_key", key, "hostnames", List.of("WEB01.example.com")), 400,
                        "hostname 'WEB01.example.com' is not a valid DNS name (lower-case letters, digits, '-' and '.')"),
                Arguments.of("fail/hostname-too-long", "main", json("public_key", key,
                                "hostnames", List.of("web" + "x".repeat(300) + ".example.com")), 400,
                        "hostname 'web" + "x".repeat(61) + "...' is longer than 253 characters"),
                Arguments.of("fail/too-many-hostnames", "main", json("public_key", key, "hostnames",
                                Stream.iterate(1, i -> i + 1).limit(65).map(i -> "web" + i + ".example.com").toList()), 400,
                        "at most 64 hostnames may be requested"),
                Arguments.of("fail/garbage-key", "main", json("public_key", "ssh-ed25519 AAAA", "hostnames",
                                List.of("web01.example.com")), 400,
                        "public_key is not a valid OpenSSH public key"),
                Arguments.of("fail/missing-key", "main", json("hostnames", List.of("web01.example.com")), 400,
                        "public_key is missing"),
                Arguments.of("fail/unknown-field", "main", json("public_key", key, "hostnames", List.of("web01.example.com"),
                        "principals", List.of("root")), 400, "unknown field 'principals'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesWithAProblemAndAnAuditEventAndIssuesNothing(String name, String ref, String body, int status, String detail)
            throws Exception {
        long certificatesBefore = ca.count("SELECT COUNT(*) FROM certificates");
        String refusals = "SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"
                + " AND actor = 'project_path:infra/web:ref_type:branch:ref:" + ref + "'";
        long refusalsBefore = ca.count(refusals);
        HttpResponse<String> response = request("Bearer " + ca.ciToken("infra/web", ref), body);
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals(detail, detail(response));
        assertEquals(certificatesBefore, ca.count("SELECT COUNT(*) FROM certificates"));
        assertEquals(refusalsBefore + 1, ca.count(refusals));
    }

    @Test
    void refusesACertificateInsteadOfAKey() throws Exception {
        HttpResponse<String> issued = request(webJob, json("public_key", hostKey, "hostnames", List.of("web01.example.com")));
        String certificate = answer(issued).get("certificate").asText();
        HttpResponse<String> response = request(webJob, json("public_key", certificate, "hostnames", List.of("web01.example.com")));
        assertEquals(400, response.statusCode());
        assertEquals("public_key is a certificate; send the plain public key", detail(response));
    }

    @Test
    void refusesAPersonNoHostRuleMatches() throws Exception {
        HttpResponse<String> response = request("Bearer " + ca.personToken("alice@example.com", List.of("writ-admins")),
                json("public_key", hostKey, "hostnames", List.of("web01.example.com")));
        assertEquals(403, response.statusCode(), response.body());
        assertEquals("no host certificate for alice@example.com: no host rule matches", detail(response));
    }

    static Stream<Arguments> credentials() {
        return Stream.of(
                Arguments.of("fail/no-authorization", null,
                        "a workload OIDC token (Authorization: Bearer <token>) or a join token (Authorization: JoinToken <token>) is required"),
                Arguments.of("fail/basic-scheme", "Basic d3JpdDp3cml0",
                        "a workload OIDC token (Authorization: Bearer <token>) or a join token (Authorization: JoinToken <token>) is required"),
                Arguments.of("fail/garbage-bearer", "Bearer abc.def.ghi", "token rejected: malformed token"),
                Arguments.of("fail/malformed-join-token", "JoinToken not-a-token", "join token rejected: malformed token"),
                Arguments.of("fail/unknown-join-token", "JoinToken wjt_" + "A".repeat(43), "join token rejected: unknown token"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("credentials")
    void refusesCallersWithoutAValidCredential(String name, String authorization, String detail) throws Exception {
        HttpResponse<String> response = request(authorization, json("public_key", hostKey, "hostnames", List.of("web01.example.com")));
        assertEquals(401, response.statusCode(), response.body());
        assertEquals(detail, detail(response));
    }

    @Test
    void refusesAWorkloadTokenForAnotherAudience() throws Exception {
        String token = idp.server().issueToken(HostTestCa.CI_ISSUER_ID, WEB_JOB,
                new no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback(HostTestCa.CI_ISSUER_ID, WEB_JOB, "JWT",
                        List.of("https://vault.example.com"), java.util.Map.of("project_path", "infra/web", "ref", "main"), 3600))
                .serialize();
        HttpResponse<String> response = request("Bearer " + token, json("public_key", hostKey, "hostnames", List.of("web01.example.com")));
        assertEquals(401, response.statusCode());
        assertEquals("token rejected: audience mismatch", detail(response));
    }

    @Nested
    class DeployCertificatesForCi {

        @Test
        void aWorkloadTokenGetsAShortUserCertificateThatRunsOnlyTheDeployCommand() throws Exception {
            HttpResponse<String> response = ca.post("/v1/certs/user", webJob, json("public_key", line(ed25519())));
            assertEquals(201, response.statusCode(), response.body());
            assertEquals(List.of("deploy"), principals(response));
            String listing = keygenList(dir, answer(response).get("certificate").asText());
            assertTrue(listing.contains("user certificate"), listing);
            assertTrue(listing.contains("Key ID: \"" + WEB_JOB + "\""), listing);
            assertTrue(listing.matches("(?s).*force-command /usr/local/bin/deploy\\n.*"), listing);
            assertTrue(listing.matches("(?s).*source-address 10.20.0.0/16\\n.*"), listing);
            // only the role and its logins
            assertTrue(listing.matches("(?s).*Extensions: \\n\\s+logins@writ [^\\n]*\\n\\s+roles@writ [^\\n]*\\n"), listing);
            long seconds = Instant.parse(answer(response).get("valid_before").asText()).getEpochSecond()
                    - Instant.now().getEpochSecond();
            assertTrue(Math.abs(seconds - 600) <= 5, "valid for " + seconds + " s");
        }

        @Test
        void theDeployCertificateIsNeverLongerThanTheRoleAllows() throws Exception {
            HttpResponse<String> response = ca.post("/v1/certs/user", webJob, json("public_key", line(ed25519()), "ttl", "1h"));
            assertEquals(400, response.statusCode());
            assertEquals("requested ttl 1h exceeds the maximum of 15m for roles [ci-deploy]", detail(response));
        }

        @Test
        void anUnprotectedBranchGetsNothing() throws Exception {
            String token = ca.ciToken("project_path:infra/web:ref_type:branch:ref:wip",
                    java.util.Map.of("project_path", "infra/web", "ref", "wip", "ref_protected", "false"));
            HttpResponse<String> response = ca.post("/v1/certs/user", "Bearer " + token, json("public_key", line(ed25519())));
            assertEquals(403, response.statusCode());
            assertEquals("no certificate for project_path:infra/web:ref_type:branch:ref:wip: no role matches", detail(response));
        }
    }

    @Test
    void scopesTheKnownHostsLinesToTheHostRulePatterns() throws Exception {
        HttpResponse<String> response = ca.get("/v1/ca/known_hosts");
        assertEquals(200, response.statusCode());
        String hostCa = Files.readString(ca.keys().resolve("host_ca.pub")).split(" writ")[0];
        assertEquals("@cert-authority web*.example.com,api??.example.com,*.example.com,"
                + "[web*.example.com]:*,[api??.example.com]:*,[*.example.com]:* " + hostCa + "\n", response.body());
        assertFalse(response.body().contains("@cert-authority * "));
    }
}
