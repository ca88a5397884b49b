package dev.writ.policy;

import static dev.writ.policy.TestIdentities.IDP;
import static dev.writ.policy.TestIdentities.person;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UserDecisionTest {

    /** A policy with one role "r" (principal "p") that matches on {@code match}. */
    private static Policy oneRole(String match) throws PolicyException {
        return Policy.parse("test.yaml", """
                roles:
                  - name: r
                    match: %s
                    principals: [p]
                    max_ttl: 1h
                """.formatted(match));
    }

    /** A policy with one role "r" that matches everybody at the IdP and has these principals. */
    private static Policy principals(String principals) throws PolicyException {
        return Policy.parse("test.yaml", """
                roles:
                  - name: r
                    match: { issuer: %s }
                    principals: %s
                    max_ttl: 1h
                """.formatted(IDP, principals));
    }

    private static Identity token(Map<String, Object> claims) {
        return Identity.fromClaims(IDP, claims);
    }

    @Nested
    class Matching {

        static Stream<Arguments> cases() {
            Identity alice = person("alice@example.com", "engineering");
            return Stream.of(
                    Arguments.of("ok/issuer-exact", "{ issuer: https://idp.example.com }", alice, true),
                    Arguments.of("fail/issuer-with-trailing-slash", "{ issuer: https://idp.example.com/ }", alice, false),
                    Arguments.of("ok/issuer-one-of-a-list", "{ issuer: [https://other, https://idp.example.com] }", alice, true),
                    Arguments.of("ok/email-glob", "{ email: \"*@example.com\" }", alice, true),
                    Arguments.of("ok/email-glob-ignores-case", "{ email: \"*@example.com\" }",
                            person("Alice@EXAMPLE.com"), true),
                    Arguments.of("fail/email-of-a-subdomain", "{ email: \"*@example.com\" }",
                            person("alice@corp.example.com"), false),
                    Arguments.of("fail/email-with-the-domain-as-prefix", "{ email: \"*@example.com\" }",
                            person("alice@example.com.evil.org"), false),
                    Arguments.of("fail/email-absent", "{ email: \"*@example.com\" }",
                            token(Map.of("sub", "u-1")), false),
                    Arguments.of("fail/email-not-verified", "{ email: \"*@example.com\" }",
                            token(Map.of("sub", "u-1", "email", "alice@example.com", "email_verified", false)), false),
                    Arguments.of("ok/group-one-of-a-list", "{ groups: [sre, engineering] }", alice, true),
                    Arguments.of("fail/group-differs-in-case", "{ groups: [Engineering] }", alice, false),
                    Arguments.of("ok/groups-claim-a-single-string", "{ groups: [sre] }",
                            token(Map.of("sub", "u-1", "groups", "sre")), true),
                    Arguments.of("ok/claim-one-of-a-list", "{ claims: { department: [eng, sre] } }",
                            person("bob@example.com", List.of(), Map.of("department", "sre")), true),
                    Arguments.of("ok/claim-glob", "{ claims: { project_path: \"infra/*\" } }",
                            TestIdentities.gitlabJob("infra/web", "main"), true),
                    Arguments.of("fail/claim-glob-is-case-sensitive", "{ claims: { project_path: \"Infra/*\" } }",
                            TestIdentities.gitlabJob("infra/web", "main"), false),
                    Arguments.of("ok/claim-that-is-a-list", "{ claims: { roles: admin } }",
                            person("bob@example.com", List.of(), Map.of("roles", List.of("reader", "admin"))), true),
                    Arguments.of("ok/claim-that-is-a-number", "{ claims: { project_id: 42 } }",
                            person("bob@example.com", List.of(), Map.of("project_id", 42L)), true),
                    Arguments.of("ok/claim-that-is-a-whole-double", "{ claims: { project_id: \"42\" } }",
                            person("bob@example.com", List.of(), Map.of("project_id", 42.0)), true),
                    Arguments.of("ok/claim-that-is-a-boolean", "{ claims: { ref_protected: true } }",
                            person("bob@example.com", List.of(), Map.of("ref_protected", true)), true),
                    Arguments.of("fail/claim-missing", "{ claims: { department: eng } }", alice, false),
                    Arguments.of("fail/claim-that-is-a-mapping", "{ claims: { address: x } }",
                            person("bob@example.com", List.of(), Map.of("address", Map.of("x", "x"))), false),
                    Arguments.of("ok/every-condition", "{ issuer: https://idp.example.com, email: \"*@example.com\","
                            + " groups: [engineering] }", alice, true),
                    Arguments.of("fail/one-condition-of-several", "{ email: \"*@example.com\", groups: [sre] }",
                            alice, false));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void matchesWhenEveryConditionHolds(String name, String match, Identity id, boolean allowed) throws Exception {
            UserDecision decision = oneRole(match).evaluateUser(id);
            assertEquals(allowed, decision.allowed(), decision.reason());
            assertEquals(allowed ? "allowed by role(s) r" : "no role matches", decision.reason());
        }

        @Test
        void treatsAGlobAsTextExceptStarAndQuestionMark() throws Exception {
            Policy policy = oneRole("{ email: \"a.b+(c)@example.com\" }");
            assertTrue(policy.evaluateUser(person("a.b+(c)@example.com")).allowed());
            assertFalse(policy.evaluateUser(person("aXb+(c)@example.com")).allowed());
        }
    }

    @Nested
    class Templates {

        @Test
        void expandsEmailLocalPartSubjectAndClaims() throws Exception {
            Identity id = person("alice@example.com", List.of(), Map.of("uid", 1001, "unix", "alice2"));
            UserDecision decision = principals("[\"{{email.local}}\", \"{{claims.unix}}\", \"u{{claims.uid}}\","
                    + " \"{{subject}}\"]").evaluateUser(id);
            assertEquals(Set.of("alice", "alice2", "u1001", id.subject()), decision.grant().principals());
        }

        @Test
        void expandsAListClaimIntoOnePrincipalPerElement() throws Exception {
            Identity id = person("alice@example.com", List.of(), Map.of("logins", List.of("web", "db")));
            assertEquals(Set.of("db-ops", "web-ops"),
                    principals("[\"{{claims.logins}}-ops\"]").evaluateUser(id).grant().principals());
        }

        @Test
        void dropsATemplateNamingAMissingClaim() throws Exception {
            Policy policy = principals("[\"{{email.local}}\", \"{{claims.unix}}\"]");
            Identity id = person("alice@example.com");
            assertEquals(Set.of("alice"), policy.evaluateUser(id).grant().principals());
            assertTrue(policy.explain(id).contains("role 'r': dropped principal '{{claims.unix}}': claim 'unix' is missing\n"),
                    policy.explain(id));
        }

        @Test
        void dropsAnExpansionThatIsNotAValidPrincipal() throws Exception {
            Policy policy = principals("[\"{{email}}\", \"{{claims.login}}\", \"{{email.local}}\"]");
            Identity id = person(".alice@example.com", List.of(), Map.of("login", "bad name"));
            UserDecision decision = policy.evaluateUser(id);
            assertFalse(decision.allowed());
            assertEquals("no valid principal from role(s) r", decision.reason());
            String explain = policy.explain(id);
            assertTrue(explain.contains("role 'r': dropped principal '{{email}}': '.alice@example.com' is not a valid"
                    + " principal\n"), explain);
            assertTrue(explain.contains("role 'r': dropped principal '{{claims.login}}': 'bad name' is not a valid"
                    + " principal\n"), explain);
            assertTrue(explain.contains("role 'r': no valid principal, the role does not apply\n"), explain);
        }

        @Test
        void neverExpandsToAStar() throws Exception {
            Identity id = person("alice@example.com", List.of(), Map.of("login", "*"));
            UserDecision decision = principals("[\"{{claims.login}}\"]").evaluateUser(id);
            assertFalse(decision.allowed());
        }

        @Test
        void dropsEmailTemplatesWhenTheTokenHasNoEmail() throws Exception {
            Identity id = token(Map.of("sub", "svc-1"));
            UserDecision decision = principals("[\"{{email.local}}\", \"{{subject}}\"]").evaluateUser(id);
            assertEquals(Set.of("svc-1"), decision.grant().principals());
        }

        @Test
        void capsTheExpansionsOfListClaims() throws Exception {
            List<String> many = java.util.stream.IntStream.range(0, 9).mapToObj(i -> "l" + i).toList();
            Identity id = person("alice@example.com", List.of(), Map.of("a", many, "b", many));
            Policy policy = principals("[\"{{claims.a}}{{claims.b}}\", fixed]");
            assertEquals(Set.of("fixed"), policy.evaluateUser(id).grant().principals());
            assertTrue(policy.explain(id).contains("'{{claims.a}}{{claims.b}}': expands to more than 64 principals"));
        }
    }

    @Nested
    class DenyRules {

        private static final String ROLES = """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["{{email.local}}"]
                    max_ttl: 8h
                  - name: prod-admin
                    match: { groups: [prod-admins] }
                    principals: [root]
                    max_ttl: 1h
                deny:
                  - name: no-contractors-in-prod
                    match: { groups: [contractors] }
                    roles: [prod-admin]
                  - name: suspended
                    match: { groups: [suspended] }
                """;

        @Test
        void winOverARoleThatMatches() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", ROLES)
                    .evaluateUser(person("carol@example.com", "prod-admins", "contractors"));
            assertFalse(decision.allowed());
            assertEquals("denied by rule 'no-contractors-in-prod'", decision.reason());
            assertNull(decision.grant());
        }

        @Test
        void removeOnlyTheRolesTheyName() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", ROLES)
                    .evaluateUser(person("carol@example.com", "engineering", "prod-admins", "contractors"));
            assertEquals(List.of("engineer"), decision.grant().roles());
            assertEquals(Set.of("carol"), decision.grant().principals());
        }

        @Test
        void withoutRolesRemoveEveryRole() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", ROLES)
                    .evaluateUser(person("dave@example.com", "engineering", "prod-admins", "suspended"));
            assertEquals("denied by rule 'suspended'", decision.reason());
        }

        @Test
        void areAllNamedWhenSeveralDeny() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", ROLES)
                    .evaluateUser(person("dave@example.com", "engineering", "prod-admins", "contractors", "suspended"));
            assertEquals("denied by rules 'no-contractors-in-prod', 'suspended'", decision.reason());
        }

        @Test
        void denyNobodyByDefault() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", ROLES).evaluateUser(person("erin@example.com", "marketing"));
            assertEquals(new UserDecision(false, "no role matches", null), decision);
        }
    }

    @Nested
    class Merging {

        private static final String TWO_ROLES = """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["{{email.local}}"]
                    targets: [{ hosts: ["*.dev.example.com"] }, { labels: { env: staging } }]
                    ttl: 8h
                    max_ttl: 12h
                    extensions: [permit-pty]
                    recording: off
                    idle_timeout: 30m
                  - name: sre
                    match: { groups: [sre] }
                    principals: [ops, "{{email.local}}"]
                    targets: [{ labels: { env: staging } }, { hosts: ["*.staging.example.com"] }]
                    ttl: 4h
                    max_ttl: 16h
                    extensions: [permit-pty, permit-port-forwarding]
                    recording: strict
                    record_input: true
                    idle_timeout: 1h
                  - name: pinned
                    match: { groups: [pinned] }
                    principals: [pinned]
                    max_ttl: 1h
                    critical_options: { source-address: "10.0.0.0/8", force-command: /bin/true }
                  - name: pinned-elsewhere
                    match: { groups: [pinned-elsewhere] }
                    principals: [pinned]
                    max_ttl: 1h
                    critical_options: { source-address: "192.168.0.0/16", force-command: /bin/true }
                  - name: pinned-same
                    match: { groups: [pinned-same] }
                    principals: [same]
                    max_ttl: 2h
                    critical_options: { source-address: "10.0.0.0/8" }
                  - name: forced-elsewhere
                    match: { groups: [forced-elsewhere] }
                    principals: [forced]
                    max_ttl: 1h
                    critical_options: { force-command: /bin/false }
                """;

        @Test
        void takesUnionsMinimumsAndTheStrictestRecording() throws Exception {
            UserGrant grant = Policy.parse("p.yaml", TWO_ROLES)
                    .evaluateUser(person("alice@example.com", "engineering", "sre")).grant();
            assertEquals(new UserGrant(List.of("engineer", "sre"), Set.of("alice", "ops"), Duration.ofHours(4),
                    Duration.ofHours(12), Set.of("permit-port-forwarding", "permit-pty"), Map.of(),
                    List.of(new TargetRule(List.of("*.dev.example.com"), Map.of()),
                            new TargetRule(List.of(), Map.of("env", "staging")),
                            new TargetRule(List.of("*.staging.example.com"), Map.of())),
                    RecordingMode.STRICT, true, Duration.ofMinutes(30), Set.of(),
                    Map.of("engineer", Set.of("alice"), "sre", Set.of("alice", "ops"))), grant);
            assertEquals(List.of("alice", "ops"), List.copyOf(grant.principals()));
        }

        @Test
        void keepsACriticalOptionThatOnlyOneRolePins() throws Exception {
            UserGrant grant = Policy.parse("p.yaml", TWO_ROLES)
                    .evaluateUser(person("alice@example.com", "engineering", "pinned")).grant();
            assertEquals(Map.of("source-address", "10.0.0.0/8", "force-command", "/bin/true"), grant.criticalOptions());
            assertEquals(Duration.ofHours(1), grant.maxTtl());
            assertEquals(Duration.ofMinutes(30), grant.idleTimeout());
        }

        @Test
        void keepsACriticalOptionThatRolesPinAlike() throws Exception {
            UserGrant grant = Policy.parse("p.yaml", TWO_ROLES)
                    .evaluateUser(person("alice@example.com", "pinned", "pinned-same")).grant();
            assertEquals(Map.of("source-address", "10.0.0.0/8", "force-command", "/bin/true"), grant.criticalOptions());
            assertNull(grant.idleTimeout());
        }

        @Test
        void deniesWhenRolesPinDifferentSourceAddresses() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", TWO_ROLES)
                    .evaluateUser(person("alice@example.com", "pinned", "pinned-elsewhere"));
            assertEquals(new UserDecision(false, "roles pinned and pinned-elsewhere pin different source-address", null),
                    decision);
        }

        @Test
        void deniesWhenRolesForceDifferentCommands() throws Exception {
            UserDecision decision = Policy.parse("p.yaml", TWO_ROLES)
                    .evaluateUser(person("alice@example.com", "pinned", "forced-elsewhere"));
            assertEquals("roles pinned and forced-elsewhere pin different force-command", decision.reason());
        }
    }

    @Nested
    class Explain {

        @Test
        void tracesEachRoleEachDenyRuleAndTheResult() {
            Policy policy = TestIdentities.examples();
            Identity id = person("alice@example.com", "engineering", "contractors", "prod-admins");
            assertEquals("""
                    identity alice@example.com (issuer https://idp.example.com, subject %s, email alice@example.com,\
                     groups [engineering, contractors, prod-admins])
                    role 'engineer' (roles.yaml:9): matches
                    role 'sre' (roles.yaml:26): does not match: groups [engineering, contractors, prod-admins] contain\
                     none of [sre]
                    role 'prod-admin' (roles.yaml:45): matches through an active access grant
                    role 'break-glass' (roles.yaml:74): does not match: requestable only (no standing match)
                    role 'ci-deploy' (roles.yaml:92): does not match: issuer https://idp.example.com is not\
                     https://gitlab.example.com
                    deny rule 'no-contractors-in-prod' (deny.yaml:6): matches, removes prod-admin
                    deny rule 'suspended-accounts' (deny.yaml:12): does not match: groups [engineering, contractors,\
                     prod-admins] contain none of [suspended]
                    role 'engineer': principals alice
                    decision: allowed by role(s) engineer
                      principals: alice
                      ttl: 8h (max 12h)
                      extensions: permit-pty
                      critical options: none
                      targets: hosts [*.dev.example.com]; labels {env=dev}; labels {env=staging}
                      recording: best_effort
                      idle timeout: 30m
                    """.formatted(id.subject()), policy.explain(id, Set.of("prod-admin")));
        }

        @Test
        void saysWhyEachRoleDidNotMatch() {
            Policy policy = TestIdentities.examples();
            String explain = policy.explain(Identity.fromClaims(IDP, Map.of("sub", "u-9", "email", "mallory@evil.org")));
            assertTrue(explain.contains("role 'engineer' (roles.yaml:9): does not match: email mallory@evil.org"
                    + " matches none of [*@example.com]\n"), explain);
            assertTrue(explain.endsWith("decision: denied: no role matches\n"), explain);
        }

        @Test
        void agreesWithTheDecision() {
            Policy policy = TestIdentities.examples();
            Identity id = person("bob@example.com", "sre");
            UserDecision decision = policy.evaluateUser(id);
            assertTrue(policy.explain(id).contains("decision: " + decision.reason() + "\n"));
        }
    }

    @Nested
    class Examples {

        private final Policy policy = TestIdentities.examples();

        @Test
        void giveAnEngineerTheirOwnLoginForEightHours() {
            UserGrant grant = policy.evaluateUser(person("alice@example.com", "engineering")).grant();
            assertEquals(Set.of("alice"), grant.principals());
            assertEquals(Duration.ofHours(8), grant.defaultTtl());
            assertEquals(Set.of("permit-pty"), grant.extensions());
        }

        @Test
        void giveAnSreTheOpsAccountAndPortForwarding() {
            UserGrant grant = policy.evaluateUser(person("bob@example.com", "engineering", "sre")).grant();
            assertEquals(List.of("engineer", "sre"), grant.roles());
            assertEquals(Set.of("bob", "ops"), grant.principals());
            assertEquals(Set.of("permit-port-forwarding", "permit-pty"), grant.extensions());
            assertEquals(Duration.ofMinutes(30), grant.idleTimeout());
        }

        @Test
        void giveNobodyProdAdminWithoutAnAccessGrant() {
            UserGrant grant = policy.evaluateUser(person("root-person@example.com", "engineering", "prod-admins")).grant();
            assertEquals(List.of("engineer"), grant.roles());
            assertEquals(Set.of("root-person"), grant.principals());
        }

        @Test
        void giveProdAdminGrantHoldersRootWithStrictRecording() {
            UserGrant grant = policy.evaluateUser(person("root-person@example.com", "engineering"), Set.of("prod-admin"))
                    .grant();
            assertEquals(Set.of("root", "root-person"), grant.principals());
            assertEquals(Set.of("prod-admin"), grant.grantedRoles());
            assertEquals(Duration.ofMinutes(30), grant.defaultTtl());
            assertEquals(Duration.ofHours(1), grant.maxTtl());
            assertEquals(RecordingMode.STRICT, grant.recording());
            assertTrue(grant.recordInput());
        }

        @Test
        void giveCiTheDeployAccountWithAForcedCommand() {
            UserDecision decision = policy.evaluateUser(TestIdentities.gitlabJob("infra/web", "main"));
            assertEquals(List.of("ci-deploy"), decision.grant().roles());
            assertEquals(Set.of("deploy"), decision.grant().principals());
            assertEquals("/usr/local/bin/deploy", decision.grant().criticalOptions().get("force-command"));
            assertEquals(Duration.ofMinutes(15), decision.grant().maxTtl());
        }

        @Test
        void giveAnotherDomainNothing() {
            assertEquals("no role matches",
                    policy.evaluateUser(person("alice@example.org", "engineering")).reason());
        }
    }
}
