package dev.writ.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TargetTest {

    @Nested
    class Rules {

        @Test
        void needHostsOrLabels() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TargetRule(List.of(), Map.of()));
            assertEquals("a target rule needs hosts or labels", e.getMessage());
        }

        @Test
        void requireTheHostAndEveryLabelWhenBothAreGiven() {
            TargetRule rule = new TargetRule(List.of("web*.example.com"), Map.of("env", "prod", "team", "web"));
            assertTrue(rule.matches("WEB01.example.com", Map.of("env", "prod", "team", "web", "extra", "x")));
            assertFalse(rule.matches("web01.example.com", Map.of("env", "prod")));
            assertFalse(rule.matches("db01.example.com", Map.of("env", "prod", "team", "web")));
            assertFalse(rule.matches("web01.example.com", null));
        }

        @Test
        void acceptGlobsInLabelValues() {
            TargetRule rule = new TargetRule(List.of(), Map.of("env", "stag*"));
            assertTrue(rule.matches("anything", Map.of("env", "staging")));
            assertFalse(rule.matches("anything", Map.of("env", "Staging")));
        }
    }

    @Nested
    class AllowsTarget {

        private final Policy policy = TestIdentities.examples();

        static Stream<Arguments> cases() {
            return Stream.of(
                    Arguments.of("ok/engineer-on-a-dev-host", Set.of("engineer"), "web01.dev.example.com", Map.of(), true),
                    Arguments.of("ok/engineer-on-a-staging-label", Set.of("engineer"), "10.1.2.3", Map.of("env", "staging"), true),
                    Arguments.of("fail/engineer-on-prod", Set.of("engineer"), "web01.example.com", Map.of("env", "prod"), false),
                    Arguments.of("ok/prod-admin-on-prod", Set.of("prod-admin"), "web01.example.com", Map.of("env", "prod"), true),
                    Arguments.of("ok/union-of-roles", Set.of("engineer", "prod-admin"), "web01.example.com",
                            Map.of("env", "prod"), true),
                    Arguments.of("fail/prod-admin-without-the-label", Set.of("prod-admin"), "web01.example.com", Map.of(), false),
                    Arguments.of("ok/sre-on-a-staging-host", Set.of("sre"), "db1.staging.example.com", Map.of(), true),
                    Arguments.of("fail/ci-deploy-needs-host-and-label", Set.of("ci-deploy"), "web01.example.com",
                            Map.of("env", "staging"), false),
                    Arguments.of("ok/ci-deploy-host-and-label", Set.of("ci-deploy"), "web01.example.com",
                            Map.of("env", "prod"), true),
                    Arguments.of("fail/unknown-role", Set.of("ghost"), "web01.dev.example.com", Map.of(), false),
                    Arguments.of("fail/no-role", Set.of(), "web01.dev.example.com", Map.of(), false));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void allowsWhatAnyOfTheRolesTargets(String name, Set<String> roles, String target, Map<String, String> labels,
                                            boolean allowed) {
            assertEquals(allowed, policy.allowsTarget(roles, target, labels));
        }
    }

    /** One role decides a session: its login and its target, never one role's login on another's target. */
    @Nested
    class SessionRole {

        private static final String POLICY = """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["{{email.local}}"]
                    targets: [{ hosts: ["dev*"] }]
                    max_ttl: 8h
                    extensions: [permit-pty, permit-port-forwarding]
                    idle_timeout: 30m
                  - name: prod-admin
                    principals: [root]
                    targets: [{ hosts: ["prod*"] }]
                    max_ttl: 1h
                    extensions: [permit-pty]
                    recording: strict
                    requestable:
                      requesters: [{ match: { groups: [engineering] } }]
                      approvers: [{ match: { groups: [sre-leads] } }]
                      max_duration: 2h
                """;

        static Stream<Arguments> cases() {
            Map<String, List<String>> both = Map.of("engineer", List.of("alice"), "prod-admin", List.of("root"));
            return Stream.of(
                    Arguments.of("ok/engineer-login-on-its-target", both, "alice", "dev01", "engineer"),
                    Arguments.of("ok/granted-login-on-its-target", both, "root", "prod01", "prod-admin"),
                    Arguments.of("fail/granted-login-on-the-other-roles-target", both, "root", "dev01", null),
                    Arguments.of("fail/standing-login-on-the-granted-roles-target", both, "alice", "prod01", null),
                    Arguments.of("fail/login-of-no-role", both, "bob", "dev01", null),
                    Arguments.of("fail/role-the-policy-does-not-know", Map.of("ghost", List.of("alice")), "alice", "dev01", null),
                    Arguments.of("fail/a-role-without-that-login", Map.of("engineer", List.of()), "alice", "dev01", null));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void isTheOneRoleThatGivesBothTheLoginAndTheTarget(String name, Map<String, List<String>> logins, String login,
                                                           String target, String expected) throws Exception {
            Policy policy = Policy.parse("p.yaml", POLICY);
            assertEquals(expected, policy.sessionRole(logins, login, target, Map.of()).map(Role::name).orElse(null));
        }

        @Test
        void isTheFirstInPolicyOrderWhenSeveralWould() throws Exception {
            Policy policy = Policy.parse("p.yaml", POLICY.replace("prod*", "*"));
            assertEquals("engineer", policy.sessionRole(Map.of("prod-admin", List.of("alice"), "engineer", List.of("alice")),
                    "alice", "dev01", Map.of()).map(Role::name).orElseThrow());
        }
    }
}
