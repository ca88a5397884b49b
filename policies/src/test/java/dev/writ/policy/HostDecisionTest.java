package dev.writ.policy;

import static dev.writ.policy.TestIdentities.gitlabJob;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HostDecisionTest {

    private final Policy policy = TestIdentities.examples();

    @Nested
    class Requests {

        static Stream<Arguments> cases() {
            return Stream.of(
                    Arguments.of("ok/one-hostname", "web01.example.com", "allowed by rule 'web-fleet'"),
                    Arguments.of("ok/several-hostnames", "web01.example.com,web02.example.com",
                            "allowed by rule 'web-fleet'"),
                    Arguments.of("fail/one-hostname-outside-the-patterns", "web01.example.com,db01.example.com",
                            "hostname db01.example.com is not allowed for rule 'web-fleet'"),
                    Arguments.of("fail/wildcard", "*.example.com",
                            "hostname '*.example.com' has a wildcard; request exact hostnames"),
                    Arguments.of("fail/question-mark", "web0?.example.com",
                            "hostname 'web0?.example.com' has a wildcard; request exact hostnames"),
                    Arguments.of("fail/upper-case", "WEB01.example.com",
                            "hostname 'WEB01.example.com' is not a valid DNS name (lower-case letters, digits, '-' and '.')"),
                    Arguments.of("fail/trailing-dot", "web01.example.com.",
                            "hostname 'web01.example.com.' is not a valid DNS name (lower-case letters, digits, '-' and '.')"),
                    Arguments.of("fail/underscore", "web_01.example.com",
                            "hostname 'web_01.example.com' is not a valid DNS name (lower-case letters, digits, '-' and '.')"),
                    Arguments.of("fail/label-starting-with-dash", "-web01.example.com",
                            "hostname '-web01.example.com' is not a valid DNS name (lower-case letters, digits, '-' and '.')"),
                    Arguments.of("fail/comma-inside", "web01.example.com web02",
                            "hostname 'web01.example.com web02' is not a valid DNS name (lower-case letters, digits, '-' and '.')"),
                    Arguments.of("fail/empty", "", "empty hostname requested"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void allowOnlyExactHostnamesTheRuleCovers(String name, String hostnames, String reason) {
            List<String> requested = Arrays.asList(hostnames.split(",", -1));
            HostDecision decision = policy.evaluateHost(gitlabJob("infra/web", "main"), requested);
            assertEquals(reason, decision.reason());
            assertEquals(name.startsWith("ok/"), decision.allowed());
        }

        @Test
        void grantTheRequestedHostnamesOnceEachWithTheRuleTtls() {
            HostDecision decision = policy.evaluateHost(gitlabJob("infra/web", "main"),
                    List.of("web02.example.com", "web01.example.com", "web02.example.com"));
            assertEquals(new HostGrant("web-fleet", List.of("web02.example.com", "web01.example.com"),
                    Duration.ofDays(7), Duration.ofDays(30)), decision.grant());
        }

        @Test
        void areDeniedWithoutHostnames() {
            assertEquals(new HostDecision(false, "no hostname requested", null),
                    policy.evaluateHost(gitlabJob("infra/web", "main"), List.of()));
        }

        @Test
        void areDeniedWhenNoRuleMatchesTheWorkload() {
            assertEquals("no host rule matches",
                    policy.evaluateHost(gitlabJob("infra/web", "feature-x"), List.of("web01.example.com")).reason());
            assertEquals("no host rule matches", policy.evaluateHost(
                    TestIdentities.person("alice@example.com", "sre"), List.of("web01.example.com")).reason());
        }

        @Test
        void matchQuestionMarksAsExactlyOneCharacter() {
            Identity api = gitlabJob("infra/api", "main");
            assertEquals(true, policy.evaluateHost(api, List.of("api07.example.com")).allowed());
            assertEquals("hostname api107.example.com is not allowed for rule 'api-fleet'",
                    policy.evaluateHost(api, List.of("api107.example.com")).reason());
        }
    }

    @Nested
    class Rules {

        @Test
        void areTriedInOrderAndTheFirstMatchDecides() throws Exception {
            Policy policy = Policy.parse("hosts.yaml", """
                    hosts:
                      - name: narrow
                        match: { claims: { project_path: infra/web } }
                        hostnames: ["web01.example.com"]
                        ttl: 1d
                        max_ttl: 2d
                      - name: broad
                        match: { claims: { project_path: "infra/*" } }
                        hostnames: ["*.example.com"]
                    """);
            assertEquals("hostname web02.example.com is not allowed for rule 'narrow'",
                    policy.evaluateHost(gitlabJob("infra/web", "main"), List.of("web02.example.com")).reason());
            assertEquals(new HostGrant("broad", List.of("web02.example.com"), Duration.ofDays(7), Duration.ofDays(30)),
                    policy.evaluateHost(gitlabJob("infra/api", "main"), List.of("web02.example.com")).grant());
        }
    }
}
