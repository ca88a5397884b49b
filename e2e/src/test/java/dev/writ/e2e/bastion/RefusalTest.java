package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refused login of DESIGN.md's invariants, through the real OpenSSH client: the client is
 * turned away, the CA's audit log records the refusal with its reason, and the engineer is told
 * why in a line of its own (an SSH banner). Certificates the CA would never issue are crafted
 * with the real ssh-keygen and the test CA's own key files.
 */
class RefusalTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
              - name: pinned
                match: { groups: [pinned] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                critical_options: { source-address: "192.0.2.0/24" }
            """;
    static final String LOGIN = Stack.LOGIN;

    @TempDir
    static Path dir;
    static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01", "db01"), List.of(), "krl:\n  refresh: 1s\n", SessionRecorder.NONE);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** How to get the engineer of a case. */
    interface Setup {
        Engineer engineer() throws Exception;
    }

    static Engineer issued() throws Exception {
        return stack.engineer("alice", List.of("engineering"), "");
    }

    /** A certificate signed by ssh-keygen with {@code caKey}; {@code options} are ssh-keygen's. */
    static Engineer crafted(String name, Path caKey, String... options) throws Exception {
        Path home = Files.createDirectories(dir.resolve("crafted-" + name + "-" + System.nanoTime()));
        Path key = Engineer.newKey(home.resolve("id_ed25519"));
        List<String> sign = new ArrayList<>(List.of("ssh-keygen", "-q", "-s", caKey.toString(), "-I", name + "@example.com",
                "-z", "4242"));
        sign.addAll(List.of(options));
        sign.add(key + ".pub");
        Processes.Result signed = Processes.run(sign);
        assertEquals(0, signed.exitCode(), signed.output());
        return Engineer.withCertificate(home, stack.ca, key, Path.of(key + "-cert.pub"));
    }

    static Path userCa() {
        return stack.ca.keys().resolve("user_ca");
    }

    static Stream<Arguments> refusedLogins() {
        return Stream.of(
                Arguments.of("fail/expired", (Setup) () -> crafted("expired", userCa(), "-n", LOGIN, "-V", "20200101:20200102"),
                        LOGIN, "web01", "certificate_expired", "writ: certificate expired"),
                Arguments.of("fail/not-yet-valid", (Setup) () -> crafted("early", userCa(), "-n", LOGIN, "-V", "+1d:+2d"),
                        LOGIN, "web01", "certificate_not_yet_valid", "writ: certificate not valid yet"),
                Arguments.of("fail/signed-by-another-ca", (Setup) () -> {
                    Path other = Engineer.newKey(Files.createDirectories(dir.resolve("other-ca-" + System.nanoTime())).resolve("ca"));
                    return crafted("stranger", other, "-n", LOGIN, "-V", "-5m:+1h");
                }, LOGIN, "web01", "unknown_ca", "writ: certificate not issued by this writ CA"),
                Arguments.of("fail/empty-principals", (Setup) () -> crafted("anyone", userCa(), "-V", "-5m:+1h"),
                        LOGIN, "web01", "empty_principals", "writ: certificate names no login"),
                Arguments.of("fail/unknown-critical-option",
                        (Setup) () -> crafted("critical", userCa(), "-n", LOGIN, "-V", "-5m:+1h", "-O", "critical:frob@example.com=1"),
                        LOGIN, "web01", "unknown_critical_option", "writ: certificate has a critical option writ does not enforce"),
                Arguments.of("fail/source-address-mismatch", (Setup) () -> stack.engineer("pinned", List.of("pinned"), ""),
                        LOGIN, "web01", "source_address_mismatch", "writ: certificate not valid from this address"),
                Arguments.of("fail/login-not-a-principal", (Setup) RefusalTest::issued,
                        "nobody", "web01", "login_not_a_principal", "writ: your certificate does not allow login nobody"),
                Arguments.of("fail/target-not-allowed", (Setup) RefusalTest::issued,
                        LOGIN, "db01", "target_not_allowed", "writ: no role of alice@example.com allows login " + LOGIN + " on db01"),
                Arguments.of("fail/unknown-target", (Setup) RefusalTest::issued,
                        LOGIN, "nowhere", "unknown_target", "writ: no target named nowhere"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedLogins")
    void refusesTheLoginAuditsTheReasonAndTellsTheEngineer(String name, Setup setup, String login, String target,
                                                          String reason, String message) throws Exception {
        Engineer engineer = setup.engineer();
        long before = refusals(reason);
        List<String> command = engineer.direct(stack.bastion.port(), login, target, "-o", "LogLevel=INFO");
        command.add("echo should-not-run");
        Processes.Result result = Processes.run(command, 30);
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("Permission denied"), result.output());
        assertTrue(result.output().contains(message), result.output());
        assertTrue(!result.output().contains("should-not-run"), result.output());
        awaitMore(() -> refusals(reason), before);
    }

    /** Through ProxyJump the same certificates are refused on the jump connection already. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedLogins")
    void refusesTheSameThroughProxyJump(String name, Setup setup, String login, String target, String reason,
                                        String message) throws Exception {
        Engineer engineer = setup.engineer();
        String type = reason.equals("target_not_allowed") || reason.equals("unknown_target") ? "channel" : "login";
        long before = audited(type, reason);
        List<String> command = engineer.jump(stack.bastion.port(), login, target);
        command.add("echo should-not-run");
        Processes.Result result = Processes.run(command, 30);
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(!result.output().contains("should-not-run"), result.output());
        awaitMore(() -> audited(type, reason), before);
    }

    @Test
    void refusesARevokedCertificateOnceTheKrlHasIt() throws Exception {
        Engineer engineer = issued();
        List<String> command = engineer.direct(stack.bastion.port(), LOGIN, "web01", "-o", "LogLevel=INFO");
        command.add("echo still-good");
        assertEquals(0, Processes.run(command, 30).exitCode());
        stack.revokeSerial(Stack.serialOf(engineer));
        long before = refusals("certificate_revoked");
        Thread.sleep(2_500); // the bastion fetches the KRL every second
        Processes.Result result = Processes.run(command, 30);
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("writ: certificate revoked"), result.output());
        awaitMore(() -> refusals("certificate_revoked"), before);
    }

    /**
     * OpenSSH never offers a host certificate as a user's ("not a user certificate"), so a client
     * that does is played by MINA: a host certificate from our host CA, and one from our user CA.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"host_ca", "user_ca"})
    void refusesAHostCertificateOfferedAsAUserCertificate(String signer) throws Exception {
        Engineer holder = crafted("hostcert-" + signer, stack.ca.keys().resolve(signer), "-h", "-n", LOGIN, "-V", "-5m:+1h");
        String reason = "host_certificate"; // the type is checked before the signer
        long before = refusals(reason);
        try (MinaClient client = new MinaClient()) {
            Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () ->
                    client.login(stack.bastion.port(), LOGIN + "@web01", holder.key(), holder.certificate()).close());
            assertTrue(String.valueOf(refused.getMessage()).contains("No more authentication methods available"),
                    String.valueOf(refused));
        }
        awaitMore(() -> refusals(reason), before);
    }

    /**
     * {@code ssh -i KEY} offers the plain key before KEY-cert.pub: the engineer still learns that
     * the certificate expired, when, and what to run.
     */
    @Test
    void tellsWhenACertificateOfferedWithDashIExpired() throws Exception {
        Engineer expired = crafted("expired-i", userCa(), "-n", LOGIN, "-V", "20200101:20200102");
        Processes.Result result = Processes.run(List.of("ssh", "-F", "/dev/null", "-i", expired.key().toString(),
                "-p", Integer.toString(stack.bastion.port()), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=INFO", LOGIN + "@web01@127.0.0.1", "echo should-not-run"), 30);
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("writ: certificate expired at 2020-01-02T"), result.output());
        assertTrue(result.output().contains("get a new one with writ cert"), result.output());
    }

    @Test
    void refusesAPlainKey() throws Exception {
        Path home = Files.createDirectories(dir.resolve("plain"));
        Path key = Engineer.newKey(home.resolve("id_ed25519"));
        Engineer engineer = Engineer.withCertificate(home, stack.ca, key, Path.of(key + ".pub"));
        long before = refusals("not_a_certificate");
        List<String> command = engineer.direct(stack.bastion.port(), LOGIN, "web01", "-o", "LogLevel=INFO");
        command.add("true");
        Processes.Result result = Processes.run(command, 30);
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("writ: only writ certificates are accepted"), result.output());
        awaitMore(() -> refusals("not_a_certificate"), before);
    }

    @Test
    void offersNoPasswordOrKeyboardInteractiveLogin() throws Exception {
        Processes.Result result = Processes.run(List.of("ssh", "-F", "/dev/null", "-p", Integer.toString(stack.bastion.port()),
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "PubkeyAuthentication=no", LOGIN + "@web01@127.0.0.1", "true"), 30);
        assertNotEquals(0, result.exitCode());
        assertTrue(result.output().contains("Permission denied (publickey)"), result.output());
    }

    static long refusals(String reason) throws Exception {
        return audited("login", reason);
    }

    static long audited(String type, String reason) throws Exception {
        return stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion." + type + ".refused'"
                + " AND details LIKE '%\"reason\":\"" + reason + "\"%'");
    }

    interface Count {
        long get() throws Exception;
    }

    static void awaitMore(Count count, long before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count.get() <= before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no new audit event within 10 s");
            }
            Thread.sleep(100);
        }
    }
}
