package dev.writ.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.policy.ChannelRules.FileAccess;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A role's {@code commands}, {@code files}, {@code forwards} and {@code require_recording}: loading and deciding. */
class ChannelRulesTest {

    private static final String ROLE = """
            roles:
              - name: deployer
                match: { groups: [deployers] }
                principals: [deploy]
                max_ttl: 1h
            """;

    private static ChannelRules load(String extra) throws PolicyException {
        return Policy.parse("roles.yaml", ROLE + extra).role("deployer").orElseThrow().channels();
    }

    private static final String FULL = """
                commands:
                  allow: ["systemctl status *", "scp -f /var/log/*", "rsync --server --sender *"]
                  deny: ["*;*", "*&&*"]
                  shell: false
                files:
                  allow:
                    read: ["/var/log/*", "/home/deploy/*"]
                    write: ["/home/deploy/uploads/*"]
                    remove: ["/home/deploy/uploads/*"]
                  deny:
                    read: ["*/.ssh/*"]
                forwards:
                  allow: ["localhost:5432", "db*.example.com:5432"]
                  deny: ["db-secret.example.com:*"]
                require_recording: true
            """;

    @Nested
    class Commands {
        @Test
        void allowsOnlyCommandsMatchingAnAllowPatternAndNoDenyPattern() throws Exception {
            ChannelRules.Commands commands = load(FULL).commands();
            assertTrue(commands.check("systemctl status nginx").allowed());
            assertTrue(commands.check("scp -f /var/log/syslog").allowed());
            assertTrue(commands.check("rsync --server --sender -vlogDtpre.iLsfxCIvu . /var/log/").allowed());
            assertEquals("command matches no allowed pattern", commands.check("scp -t /etc/passwd").reason());
            assertEquals("command matches deny pattern '*;*'", commands.check("systemctl status x; rm -rf /").reason());
            assertFalse(commands.shell());
        }

        @Test
        void aRoleWithoutCommandsRestrictsNone() throws Exception {
            assertNull(load("").commands());
            assertFalse(load("").restricts());
        }
    }

    @Nested
    class Files {
        @Test
        void decidesEachKindOfAccessByItsOwnPatterns() throws Exception {
            ChannelRules.Files files = load(FULL).files();
            assertTrue(files.check(FileAccess.READ, "/var/log/syslog").allowed());
            assertFalse(files.check(FileAccess.READ, "/etc/shadow").allowed());
            assertFalse(files.check(FileAccess.READ, "/home/deploy/.ssh/id_ed25519").allowed());
            assertTrue(files.check(FileAccess.WRITE, "/home/deploy/uploads/a.tgz").allowed());
            assertFalse(files.check(FileAccess.WRITE, "/home/deploy/a.tgz").allowed());
            assertTrue(files.check(FileAccess.REMOVE, "/home/deploy/uploads/a.tgz").allowed());
            // rename has no allow patterns of its own: any path
            assertTrue(files.check(FileAccess.RENAME, "/tmp/x").allowed());
        }

        @Test
        void readOnlyAllowsNothingButReading() throws Exception {
            ChannelRules.Files files = load("    files: { read_only: true }\n").files();
            assertTrue(files.check(FileAccess.READ, "/etc/hosts").allowed());
            for (FileAccess access : new FileAccess[] {FileAccess.WRITE, FileAccess.REMOVE, FileAccess.RENAME}) {
                assertEquals("read-only: no " + access.policyName(), files.check(access, "/tmp/x").reason());
            }
        }
    }

    @Nested
    class Forwards {
        @Test
        void allowsOnlyListedDestinations() throws Exception {
            ChannelRules.Forwards forwards = load(FULL).forwards();
            assertTrue(forwards.check("localhost", 5432).allowed());
            assertTrue(forwards.check("DB01.example.com", 5432).allowed());
            assertFalse(forwards.check("db01.example.com", 22).allowed());
            assertEquals("forwarding to db-secret.example.com:5432 denied by 'db-secret.example.com:*'",
                    forwards.check("db-secret.example.com", 5432).reason());
            assertFalse(forwards.check("::1", 5432).allowed());
        }
    }

    @Test
    void requireRecordingIsRead() throws Exception {
        assertTrue(load(FULL).requireRecording());
        assertTrue(load(FULL).restricts());
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("fail/unknown-key-in-commands", "    commands: { allw: [ls] }\n",
                        "roles.yaml:6: unknown key 'allw' in commands of role 'deployer' (did you mean 'allow'?)"),
                Arguments.of("fail/empty-commands", "    commands: { shell: true }\n",
                        "roles.yaml:6: commands of role 'deployer' needs 'allow', 'deny' or 'shell: false'"),
                Arguments.of("fail/unknown-access", "    files: { allow: { delete: [\"/tmp/*\"] } }\n",
                        "roles.yaml:6: unknown key 'delete' in allow of files of role 'deployer'"),
                Arguments.of("fail/relative-path-pattern", "    files: { deny: { read: [etc/shadow] } }\n",
                        "roles.yaml:6: path pattern 'etc/shadow' in deny of files of role 'deployer' must be absolute"
                                + " (start with / or *)"),
                Arguments.of("fail/destination-without-port", "    forwards: { allow: [db01] }\n",
                        "roles.yaml:6: destination pattern 'db01' in forwards of role 'deployer' must be host:port"
                                + " (e.g. db01:5432, localhost:*)"),
                Arguments.of("fail/require-recording-while-off", "    recording: 'off'\n    require_recording: true\n",
                        "roles.yaml:2: require_recording in role 'deployer' needs recording best_effort or strict, not off"),
                Arguments.of("fail/read-only-not-boolean", "    files: { read_only: yes }\n",
                        "roles.yaml:6: 'read_only' in files of role 'deployer' must be true or false, got 'yes'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void refusesAMalformedRuleWithItsLine(String name, String extra, String message) {
        PolicyException e = assertThrows(PolicyException.class, () -> load(extra));
        assertEquals(message, e.getMessage());
    }
}
