package dev.writ.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyLoadTest {

    /** A valid role; cases replace or add lines to make it invalid. Line 1 is "roles:". */
    private static final String ROLE = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 12h
            """;

    private static String role(String... extraLines) {
        return ROLE + String.join("\n", extraLines) + "\n";
    }

    @Nested
    class Errors {

        static Stream<Arguments> cases() {
            return Stream.of(
                    Arguments.of("fail/unknown-key-in-role", role("    max_tll: 12h"),
                            "roles.yaml:6: unknown key 'max_tll' in role 'engineer' (did you mean 'max_ttl'?)"),
                    Arguments.of("fail/unknown-key-in-file", "role:\n  - name: x\n",
                            "roles.yaml:1: unknown key 'role' in the policy file (did you mean 'roles'?)"),
                    Arguments.of("fail/unknown-key-in-match", """
                                    roles:
                                      - name: engineer
                                        match:
                                          group: [engineering]
                                        principals: [alice]
                                        max_ttl: 12h
                                    """,
                            "roles.yaml:4: unknown key 'group' in match of role 'engineer' (did you mean 'groups'?)"),
                    Arguments.of("fail/unknown-key-without-suggestion", role("    owner: alice"),
                            "roles.yaml:6: unknown key 'owner' in role 'engineer'"),
                    Arguments.of("fail/max-ttl-missing", """
                                    roles:
                                      - name: engineer
                                        match: { groups: [engineering] }
                                        principals: [alice]
                                    """,
                            "roles.yaml:2: role 'engineer' is missing 'max_ttl'"),
                    Arguments.of("fail/name-missing", """
                                    roles:
                                      - match: { groups: [engineering] }
                                        principals: [alice]
                                    """,
                            "roles.yaml:2: role #1 is missing 'name'"),
                    Arguments.of("fail/name-invalid", role("  - name: bad name"),
                            "roles.yaml:6: role name 'bad name' is not valid: use letters, digits, '.', '_' and '-',"
                                    + " starting with a letter or digit, at most 64 characters"),
                    Arguments.of("fail/ttl-above-max", role("    ttl: 16h"),
                            "roles.yaml:6: 'ttl' in role 'engineer' is 16h, above max_ttl 12h"),
                    Arguments.of("fail/duration-with-words", role("    idle_timeout: 12 hours"),
                            "roles.yaml:6: 'idle_timeout' in role 'engineer' must be a duration like 90s, 30m, 8h,"
                                    + " 7d or 1h30m, got '12 hours'"),
                    Arguments.of("fail/duration-a-list", ROLE.replace("max_ttl: 12h", "max_ttl: [12h]"),
                            "roles.yaml:5: 'max_ttl' in role 'engineer' must be a duration like 90s, 30m, 8h, 7d or"
                                    + " 1h30m, got a list"),
                    Arguments.of("fail/duration-zero", role("    ttl: 0s"),
                            "roles.yaml:6: 'ttl' in role 'engineer' must be a duration like 90s, 30m, 8h, 7d or"
                                    + " 1h30m, got '0s'"),
                    Arguments.of("fail/duration-units-out-of-order", role("    ttl: 30m1h"),
                            "roles.yaml:6: 'ttl' in role 'engineer' must be a duration like 90s, 30m, 8h, 7d or"
                                    + " 1h30m, got '30m1h'"),
                    Arguments.of("fail/extensions-a-mapping", role("    extensions: { permit-pty: true }"),
                            "roles.yaml:6: 'extensions' in role 'engineer' must be a string or a list of strings,"
                                    + " got a mapping"),
                    Arguments.of("fail/principals-empty", ROLE.replace("[\"{{email.local}}\"]", "[]"),
                            "roles.yaml:4: 'principals' in role 'engineer' must not be an empty list"),
                    Arguments.of("fail/principal-star", ROLE.replace("[\"{{email.local}}\"]", "[alice, \"*\"]"),
                            "roles.yaml:4: '*' is not allowed as a principal in role 'engineer'"),
                    Arguments.of("fail/principal-with-space", ROLE.replace("[\"{{email.local}}\"]", "[\"root user\"]"),
                            "roles.yaml:4: principal 'root user' in role 'engineer' is not valid: only letters,"
                                    + " digits, '.', '_', '-' and {{...}} placeholders are allowed"),
                    Arguments.of("fail/principal-starting-with-dash", ROLE.replace("[\"{{email.local}}\"]", "[-root]"),
                            "roles.yaml:4: principal '-root' in role 'engineer' is not valid: it must start with a"
                                    + " letter, digit or '_' and be at most 64 characters"),
                    Arguments.of("fail/principal-unknown-placeholder", ROLE.replace("{{email.local}}", "{{mail}}"),
                            "roles.yaml:4: principal '{{mail}}' in role 'engineer' uses unknown placeholder"
                                    + " '{{mail}}' (known: {{email}}, {{email.local}}, {{subject}}, {{claims.NAME}})"),
                    Arguments.of("fail/principal-unclosed-placeholder", ROLE.replace("{{email.local}}", "{{email"),
                            "roles.yaml:4: principal '{{email' in role 'engineer' has '{{' without '}}'"),
                    Arguments.of("fail/extension-unknown", role("    extensions: [permit-pty, permit-x11-forwarding]"),
                            "roles.yaml:6: unknown extension 'permit-x11-forwarding' in role 'engineer' (allowed:"
                                    + " permit-X11-forwarding, permit-agent-forwarding, permit-port-forwarding,"
                                    + " permit-pty, permit-user-rc)"),
                    Arguments.of("fail/source-address-prefix-too-long",
                            role("    critical_options:", "      source-address: 10.0.0.0/33"),
                            "roles.yaml:7: source-address entry '10.0.0.0/33' in role 'engineer' has a prefix length"
                                    + " outside 0-32"),
                    Arguments.of("fail/source-address-host-bits",
                            role("    critical_options:", "      source-address: \"10.0.0.0/8,10.1.2.3/16\""),
                            "roles.yaml:7: source-address entry '10.1.2.3/16' in role 'engineer' has host bits set"
                                    + " beyond /16"),
                    Arguments.of("fail/source-address-hostname",
                            role("    critical_options:", "      source-address: bastion.example.com"),
                            "roles.yaml:7: source-address entry 'bastion.example.com' in role 'engineer' is not an IP"
                                    + " address or CIDR block"),
                    Arguments.of("fail/source-address-empty-entry",
                            role("    critical_options:", "      source-address: \"10.0.0.0/8,\""),
                            "roles.yaml:7: source-address in role 'engineer' has an empty entry"),
                    Arguments.of("fail/critical-option-unknown",
                            role("    critical_options:", "      no-touch-required: \"\""),
                            "roles.yaml:7: unknown critical option 'no-touch-required' in role 'engineer' (allowed:"
                                    + " force-command, source-address)"),
                    Arguments.of("fail/recording-unknown", role("    recording: always"),
                            "roles.yaml:6: 'recording' in role 'engineer' must be off, best_effort or strict,"
                                    + " got 'always'"),
                    Arguments.of("fail/record-input-not-boolean", role("    record_input: \"yes\""),
                            "roles.yaml:6: 'record_input' in role 'engineer' must be true or false, got 'yes'"),
                    Arguments.of("fail/match-missing", """
                                    roles:
                                      - name: engineer
                                        principals: [alice]
                                        max_ttl: 1h
                                    """,
                            "roles.yaml:2: role 'engineer' is missing 'match'"),
                    Arguments.of("fail/match-without-condition", ROLE.replace("{ groups: [engineering] }", "{}"),
                            "roles.yaml:3: match of role 'engineer' needs at least one of issuer, email, groups, claims"),
                    Arguments.of("fail/match-with-empty-list", ROLE.replace("[engineering]", "[]"),
                            "roles.yaml:3: 'groups' in match of role 'engineer' must not be an empty list"),
                    Arguments.of("fail/target-without-hosts-or-labels", role("    targets:", "      - {}"),
                            "roles.yaml:7: target 1 of role 'engineer' needs 'hosts' or 'labels'"),
                    Arguments.of("fail/target-unknown-key", role("    targets:", "      - host: [web01]"),
                            "roles.yaml:7: unknown key 'host' in target 1 of role 'engineer' (did you mean 'hosts'?)"),
                    Arguments.of("fail/role-not-a-mapping", "roles:\n  - engineer\n",
                            "roles.yaml:2: each role must be a mapping, got a string"),
                    Arguments.of("fail/roles-not-a-list", "roles:\n  name: engineer\n",
                            "roles.yaml:2: 'roles' must be a list, got a mapping"),
                    Arguments.of("fail/duplicate-role", ROLE + """
                                      - name: engineer
                                        match: { groups: [sre] }
                                        principals: [ops]
                                        max_ttl: 1h
                                    """,
                            "roles.yaml:6: duplicate role 'engineer' (first defined at roles.yaml:2)"),
                    Arguments.of("fail/duplicate-key", role("    max_ttl: 1h"),
                            "roles.yaml:6: duplicate key 'max_ttl'"),
                    Arguments.of("fail/unquoted-star-pattern", ROLE.replace("{ groups: [engineering] }",
                                    "{ email: [*@example.com] }"),
                            "roles.yaml:3: invalid YAML: while scanning an alias: unexpected character found .(46)"
                                    + " (quote patterns that start with '*', e.g. \"*@example.com\")"),
                    Arguments.of("fail/invalid-yaml", "roles:\n  - name: x\n   match: y\n",
                            "roles.yaml:3: invalid YAML: while parsing a block collection: expected <block end>,"
                                    + " but found '<block mapping start>'"),
                    Arguments.of("fail/two-documents", ROLE + "---\nroles: []\n",
                            "roles.yaml:7: only one YAML document per file is allowed"),
                    Arguments.of("fail/deny-unknown-role", ROLE + """
                                    deny:
                                      - name: no-contractors
                                        match: { groups: [contractors] }
                                        roles: [engineer, prod-admn]
                                    """,
                            "roles.yaml:9: deny rule 'no-contractors' names unknown role 'prod-admn'"),
                    Arguments.of("fail/deny-star-with-names", ROLE + """
                                    deny:
                                      - name: no-contractors
                                        match: { groups: [contractors] }
                                        roles: ["*", engineer]
                                    """,
                            "roles.yaml:9: 'roles' in deny rule 'no-contractors' mixes '*' with role names"),
                    Arguments.of("fail/host-max-ttl-above-30d", """
                                    hosts:
                                      - name: web-fleet
                                        match: { claims: { project_path: infra/web } }
                                        hostnames: ["web*.example.com"]
                                        max_ttl: 31d
                                    """,
                            "roles.yaml:5: 'max_ttl' in host rule 'web-fleet' is 31d, above the ceiling of 30d"),
                    Arguments.of("fail/host-ttl-above-default-max", """
                                    hosts:
                                      - name: web-fleet
                                        match: { claims: { project_path: infra/web } }
                                        hostnames: ["web*.example.com"]
                                        ttl: 60d
                                    """,
                            "roles.yaml:5: 'ttl' in host rule 'web-fleet' is 60d, above max_ttl 30d"),
                    Arguments.of("fail/host-pattern-upper-case", """
                                    hosts:
                                      - name: web-fleet
                                        match: { claims: { project_path: infra/web } }
                                        hostnames: ["web*.example.com", "DB01.example.com"]
                                    """,
                            "roles.yaml:4: hostname pattern 'DB01.example.com' in host rule 'web-fleet' is not valid:"
                                    + " use lower-case letters, digits, '-', '.', and the wildcards '*' and '?'"),
                    Arguments.of("fail/host-hostnames-missing", """
                                    hosts:
                                      - name: web-fleet
                                        match: { claims: { project_path: infra/web } }
                                    """,
                            "roles.yaml:2: host rule 'web-fleet' is missing 'hostnames'"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void rejectsTheFileNamingTheLine(String name, String yaml, String expected) {
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.parse("roles.yaml", yaml));
            assertEquals(expected, e.getMessage());
            assertEquals("roles.yaml", e.source());
            assertEquals(expected.split(":")[1], String.valueOf(e.line()));
        }
    }

    @Nested
    class Defaults {

        @Test
        void fillsTheDocumentedDefaultsOfARole() throws PolicyException {
            Role role = Policy.parse("roles.yaml", ROLE).role("engineer").orElseThrow();
            assertEquals(Duration.ofHours(8), role.defaultTtl());
            assertEquals(Duration.ofHours(12), role.maxTtl());
            assertEquals(RecordingMode.BEST_EFFORT, role.recording());
            assertFalse(role.recordInput());
            assertNull(role.idleTimeout());
            assertEquals(Set.of(), role.extensions());
            assertEquals(Map.of(), role.criticalOptions());
            assertEquals(List.of(), role.targets());
            assertEquals("roles.yaml:2", role.origin());
        }

        @Test
        void capsTheDefaultTtlAtAMaxTtlBelowEightHours() throws PolicyException {
            Role role = Policy.parse("roles.yaml", ROLE.replace("12h", "1h")).role("engineer").orElseThrow();
            assertEquals(Duration.ofHours(1), role.defaultTtl());
        }

        @Test
        void readsCompoundDurations() throws PolicyException {
            Role role = Policy.parse("roles.yaml", role("    ttl: 1h30m", "    idle_timeout: 90s"))
                    .role("engineer").orElseThrow();
            assertEquals(Duration.ofMinutes(90), role.defaultTtl());
            assertEquals(Duration.ofSeconds(90), role.idleTimeout());
        }

        @Test
        void givesHostRulesSevenAndThirtyDays() throws PolicyException {
            HostRule rule = Policy.parse("hosts.yaml", """
                    hosts:
                      - name: web-fleet
                        match: { claims: { project_path: infra/web } }
                        hostnames: web01.example.com
                    """).hostRules().get(0);
            assertEquals(Duration.ofDays(7), rule.defaultTtl());
            assertEquals(Duration.ofDays(30), rule.maxTtl());
            assertEquals(List.of("web01.example.com"), rule.hostnames());
        }

        @Test
        void normalizesSourceAddressListsAndAcceptsIpv6() throws PolicyException {
            Role role = Policy.parse("roles.yaml", role("    critical_options:",
                    "      source-address: [\"10.0.0.0/8, 127.0.0.1\", \"2001:db8::/32\"]")).role("engineer").orElseThrow();
            assertEquals(Map.of("source-address", "10.0.0.0/8,127.0.0.1,2001:db8::/32"), role.criticalOptions());
        }

        @Test
        void treatsAnEmptyFileAsAnEmptyPolicy() throws PolicyException {
            Policy policy = Policy.parse("empty.yaml", "# nothing yet\n");
            assertEquals(List.of(), policy.roles());
            assertFalse(policy.evaluateUser(TestIdentities.person("alice@example.com", "engineering")).allowed());
        }

        @Test
        void readsDenyRulesWithStarOrNoRolesAsEveryRole() throws PolicyException {
            Policy policy = Policy.parse("deny.yaml", ROLE + """
                    deny:
                      - name: star
                        match: { groups: [contractors] }
                        roles: ["*"]
                      - name: absent
                        match: { groups: [suspended] }
                      - name: named
                        match: { groups: [interns] }
                        roles: engineer
                    """);
            assertTrue(policy.denyRules().get(0).appliesToEveryRole());
            assertTrue(policy.denyRules().get(1).appliesToEveryRole());
            assertEquals(List.of("engineer"), policy.denyRules().get(2).roles());
        }
    }

    @Nested
    class Directories {

        @TempDir
        Path dir;

        @Test
        void mergesEveryYamlFileInNameOrderAndIgnoresOtherFiles() throws Exception {
            write("b.yml", ROLE.replace("engineer", "second"));
            write("a.yaml", ROLE);
            write("c.yaml", "deny:\n  - name: d\n    match: { groups: [x] }\n    roles: [second]\n");
            write("README.md", "not: [yaml");
            write(".hidden.yaml", "not: [yaml");
            Files.createDirectory(dir.resolve("sub.yaml"));
            Policy policy = Policy.load(dir);
            assertEquals(List.of("engineer", "second"), policy.roles().stream().map(Role::name).toList());
            assertEquals("b.yml:2", policy.role("second").orElseThrow().origin());
            assertEquals(List.of("second"), policy.denyRules().get(0).roles());
        }

        @Test
        void rejectsARoleDefinedInTwoFiles() throws Exception {
            write("a.yaml", ROLE);
            write("b.yaml", "# the same role again\n" + ROLE);
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.load(dir));
            assertEquals("b.yaml:3: duplicate role 'engineer' (first defined at a.yaml:2)", e.getMessage());
        }

        @Test
        void resolvesDenyRulesAgainstRolesOfLaterFiles() throws Exception {
            write("a-deny.yaml", "deny:\n  - name: d\n    match: { groups: [x] }\n    roles: [engineer, ghost]\n");
            write("b-roles.yaml", ROLE);
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.load(dir));
            assertEquals("a-deny.yaml:4: deny rule 'd' names unknown role 'ghost'", e.getMessage());
        }

        @Test
        void rejectsADirectoryWithoutPolicyFiles() throws Exception {
            write("README.md", "# policies go here\n");
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.load(dir));
            assertEquals(dir + ": no *.yaml or *.yml policy file in the directory", e.getMessage());
            assertEquals(0, e.line());
        }

        @Test
        void rejectsAMissingDirectory() {
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.load(dir.resolve("nope")));
            assertTrue(e.getMessage().startsWith(dir.resolve("nope") + ": cannot read the policy directory: "),
                    e.getMessage());
        }

        @Test
        void rejectsAFileThatIsNotUtf8() throws Exception {
            Files.write(dir.resolve("roles.yaml"), new byte[] {'r', 'o', (byte) 0xff, ':', '\n'});
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.load(dir));
            assertEquals("roles.yaml: not valid UTF-8", e.getMessage());
        }

        private void write(String name, String text) throws IOException {
            Files.writeString(dir.resolve(name), text);
        }
    }

    @Nested
    class Examples {

        private final Policy policy = TestIdentities.examples();

        @Test
        void loadEveryRoleDenyRuleAndHostRule() {
            assertEquals(List.of("engineer", "sre", "prod-admin", "break-glass", "ci-deploy"),
                    policy.roles().stream().map(Role::name).toList());
            assertEquals(List.of("no-contractors-in-prod", "suspended-accounts"),
                    policy.denyRules().stream().map(DenyRule::name).toList());
            assertEquals(List.of("web-fleet", "api-fleet", "dev-machines", "joined-machines"),
                    policy.hostRules().stream().map(HostRule::name).toList());
        }

        @Test
        void giveProdAdminOneHourOfStrictlyRecordedRoot() {
            Role role = policy.role("prod-admin").orElseThrow();
            assertNull(role.match(), "prod-admin is held only through access grants");
            assertEquals(List.of("root"), role.principals());
            assertEquals(Duration.ofHours(1), role.maxTtl());
            assertEquals(RecordingMode.STRICT, role.recording());
            assertEquals(List.of(new TargetRule(List.of(), Map.of("env", "prod"))), role.targets());
        }

        @Test
        void pinTheDeployCommandForCi() {
            Role role = policy.role("ci-deploy").orElseThrow();
            assertEquals(Map.of("force-command", "/usr/local/bin/deploy", "source-address", "10.20.0.0/16"),
                    role.criticalOptions());
            assertEquals(Duration.ofMinutes(15), role.maxTtl());
        }
    }
}
