package dev.writ.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdminRuleTest {

    private static final String ADMINS = """
            admins:
              - match: { groups: [writ-admins] }
              - match:
                  issuer: https://idp.example.com
                  email: ["root@example.com"]
            """;

    @Nested
    class Loading {

        static Stream<Arguments> cases() {
            return Stream.of(
                    Arguments.of("fail/admins-not-a-list", "admins:\n  match: { groups: [writ-admins] }\n",
                            "admins.yaml:2: 'admins' must be a list, got a mapping"),
                    Arguments.of("fail/admin-not-a-mapping", "admins:\n  - writ-admins\n",
                            "admins.yaml:2: each admin rule must be a mapping, got a string"),
                    Arguments.of("fail/admin-with-a-name", "admins:\n  - name: ops\n    match: { groups: [ops] }\n",
                            "admins.yaml:2: unknown key 'name' in admin rule #1"),
                    Arguments.of("fail/admin-misspelt-match", "admins:\n  - matches: { groups: [ops] }\n",
                            "admins.yaml:2: unknown key 'matches' in admin rule #1 (did you mean 'match'?)"),
                    Arguments.of("fail/admin-match-missing", ADMINS + "  - {}\n",
                            "admins.yaml:6: admin rule #3 is missing 'match'"),
                    Arguments.of("fail/admin-match-without-condition", "admins:\n  - match: {}\n",
                            "admins.yaml:2: match of admin rule #1 needs at least one of issuer, email, groups, claims"),
                    Arguments.of("fail/admin-match-unknown-key", "admins:\n  - match: { group: [ops] }\n",
                            "admins.yaml:2: unknown key 'group' in match of admin rule #1 (did you mean 'groups'?)"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void rejectsTheFileNamingTheLine(String name, String yaml, String expected) {
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.parse("admins.yaml", yaml));
            assertEquals(expected, e.getMessage());
        }

        @Test
        void remembersWhereEachRuleIsDefined() throws PolicyException {
            List<AdminRule> rules = Policy.parse("admins.yaml", ADMINS).adminRules();
            assertEquals(List.of("admins.yaml:2", "admins.yaml:3"), rules.stream().map(AdminRule::origin).toList());
        }
    }

    @Nested
    class Deciding {

        static Stream<Arguments> cases() {
            return Stream.of(
                    Arguments.of("ok/in-the-admin-group", TestIdentities.person("alice@example.com", "writ-admins"), true),
                    Arguments.of("ok/named-by-email", TestIdentities.person("root@example.com"), true),
                    Arguments.of("fail/other-group", TestIdentities.person("bob@example.com", "engineering"), false),
                    Arguments.of("fail/email-from-another-issuer", Identity.fromClaims("https://other.example.com",
                            Map.of("sub", "x", "email", "root@example.com")), false),
                    Arguments.of("fail/unverified-email", TestIdentities.person("root@example.com", List.of(),
                            Map.of("email_verified", false)), false),
                    Arguments.of("fail/workload-token", TestIdentities.gitlabJob("infra/web", "main"), false),
                    Arguments.of("fail/suspended-admin",
                            TestIdentities.person("carol@example.com", "writ-admins", "suspended"), false),
                    Arguments.of("ok/admin-denied-one-role-only",
                            TestIdentities.person("dave@example.com", "writ-admins", "contractors"), true));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void followsTheAdminRulesAndEveryRoleDenyRules(String name, Identity identity, boolean admin)
                throws PolicyException {
            Policy policy = Policy.parse("policy.yaml", ADMINS + """
                    roles:
                      - name: engineer
                        match: { groups: [engineering] }
                        principals: ["{{email.local}}"]
                        max_ttl: 8h
                    deny:
                      - name: suspended
                        match: { groups: [suspended] }
                      - name: no-contractors
                        match: { groups: [contractors] }
                        roles: [engineer]
                    """);
            assertEquals(admin, policy.isAdmin(identity));
        }

        @Test
        void nobodyIsAdminWithoutAdminRules() throws PolicyException {
            Policy policy = Policy.parse("empty.yaml", "# nothing\n");
            assertEquals(false, policy.isAdmin(TestIdentities.person("alice@example.com", "writ-admins")));
        }

        @Test
        void theExamplesMakeWritAdminsAdmins() {
            Policy examples = TestIdentities.examples();
            assertEquals(true, examples.isAdmin(TestIdentities.person("alice@example.com", "writ-admins")));
            assertEquals(false, examples.isAdmin(TestIdentities.person("alice@example.com", "engineering")));
        }
    }
}
