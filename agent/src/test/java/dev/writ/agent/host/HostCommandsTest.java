package dev.writ.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** The {@code writ host} command line without a CA: parsing, local decisions and messages. (With a CA: e2e.) */
class HostCommandsTest {

    static final Instant ISSUED = Instant.parse("2026-11-21T08:00:00Z");

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run writ(Clock clock, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new HostCommands(clock));
        cli.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    /** A host key and a 7-day certificate from a throwaway CA, as bootstrap would leave them, with a CA that is not there. */
    HostFiles bootstrapped() throws Exception {
        HostFiles files = new HostFiles(dir);
        KeyPair key = files.loadOrCreateKey().pair();
        OpenSshCertificate certificate = OpenSshCertificateBuilder.hostCertificate()
                .publicKey(key.getPublic()).serial(7).id("test").principals(List.of("web01.example.com"))
                .validAfter(ISSUED.minusSeconds(60)).validBefore(ISSUED.plus(Duration.ofDays(7)).minusSeconds(60))
                .sign(KeyUtils.generateKeyPair("ssh-ed25519", 256), "ssh-ed25519");
        files.writeCertificate(PublicKeyEntry.toString(certificate));
        files.writeState(java.net.URI.create("http://127.0.0.1:9"));
        return files;
    }

    @Nested
    class Renew {

        static Stream<Arguments> timing() {
            return Stream.of(
                    Arguments.of("ok/just-issued", Duration.ZERO, false),
                    Arguments.of("ok/two-thirds-minus-a-minute", Duration.ofDays(14).dividedBy(3).minusMinutes(2), false),
                    Arguments.of("due/two-thirds-in", Duration.ofDays(14).dividedBy(3), true),
                    Arguments.of("due/a-day-left", Duration.ofDays(6), true));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("timing")
        void renewsOnlyOnceLessThanAThirdOfTheLifetimeIsLeft(String name, Duration sinceIssue, boolean due) throws Exception {
            bootstrapped();
            Run run = writ(at(ISSUED.plus(sinceIssue)), "renew", "--dir", dir.toString());
            if (due) {
                // due: it goes to the CA, which is not there in this test
                assertEquals(10, run.exit(), run.out() + run.err());
                assertTrue(run.err().startsWith("writ host renew: cannot reach the CA at http://127.0.0.1:9: "), run.err());
            } else {
                assertEquals(0, run.exit(), run.err());
                assertEquals("nothing to do: certificate 7 is valid until 2026-11-28T07:59:00Z; it is renewed from "
                        + "2026-11-25T23:59:00Z\n", run.out());
            }
        }

        @Test
        void givesUpOnACaThatNeverAnswersWithinTheBound() throws Exception {
            bootstrapped();
            // a CA that accepts the connection and never says a word
            try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"))) {
                new HostFiles(dir).writeState(java.net.URI.create("http://127.0.0.1:" + silent.getLocalPort()));
                long started = System.nanoTime();
                Run run = writ(at(ISSUED), "renew", "--dir", dir.toString(), "--force");
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertEquals(10, run.exit(), run.err());
                assertEquals("writ host renew: the CA at http://127.0.0.1:" + silent.getLocalPort() + " did not answer within "
                        + dev.writ.agent.Http.REQUEST_TIMEOUT.toSeconds() + " s\n", run.err());
                assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "took " + took);
            }
        }

        @Test
        void forceGoesToTheCaAtOnce() throws Exception {
            bootstrapped();
            Run run = writ(at(ISSUED), "renew", "--dir", dir.toString(), "--force");
            assertEquals(10, run.exit());
            assertTrue(run.err().startsWith("writ host renew: cannot reach the CA at http://127.0.0.1:9: "), run.err());
        }

        @Test
        void sendsAnExpiredCertificateBackToBootstrap() throws Exception {
            bootstrapped();
            Run run = writ(at(ISSUED.plus(Duration.ofDays(8))), "renew", "--dir", dir.toString());
            assertEquals(15, run.exit());
            assertEquals("writ host renew: the host certificate expired at 2026-11-28T07:59:00Z; an expired certificate"
                    + " cannot be renewed: run writ host bootstrap again\n", run.err());
        }

        @Test
        void saysWhatIsMissingBeforeABootstrap() {
            Run run = writ(Clock.systemUTC(), "renew", "--dir", dir.toString());
            assertEquals(15, run.exit());
            assertEquals("writ host renew: cannot read " + dir.resolve("writ-host.json")
                    + " (written by writ host bootstrap); pass --ca, or bootstrap first\n", run.err());
        }
    }

    @Nested
    class SshdConfigLines {

        @Test
        void printsTheSshdLinesAndHowToKeepTheKrlAndCertificateCurrent() throws Exception {
            bootstrapped();
            Run run = writ(Clock.systemUTC(), "sshd-config", "--dir", dir.toString(), "--ca", "https://ca.example.com/");
            assertEquals(0, run.exit(), run.err());
            assertEquals("""
                    # writ: sshd_config lines (e.g. writ host sshd-config > /etc/ssh/sshd_config.d/writ.conf),
                    # then reload sshd: systemctl reload ssh
                    HostKey %1$s/ssh_host_ed25519_key
                    HostCertificate %1$s/ssh_host_ed25519_key-cert.pub
                    # writ's session CA: only the bastion's one-session certificates log in
                    TrustedUserCAKeys %1$s/writ_user_ca.pub
                    RevokedKeys %1$s/writ_revoked_keys.krl

                    # sshd refuses every public key while the RevokedKeys file is missing: create an empty one first
                    #   ssh-keygen -k -f %1$s/writ_revoked_keys.krl
                    # and keep it current from the CA, e.g. every 5 minutes in /etc/cron.d/writ:
                    #   */5 * * * * root curl -fsS --max-time 30 -o %1$s/writ_revoked_keys.krl.tmp https://ca.example.com/v1/krl && mv %1$s/writ_revoked_keys.krl.tmp %1$s/writ_revoked_keys.krl
                    # Renew the host certificate (it does nothing until a third of its lifetime is left);
                    # sshd reads the certificate when it starts or reloads:
                    #   17 * * * * root writ host renew --dir %1$s && systemctl reload ssh
                    """.formatted(dir), run.out());
        }

        @Test
        void leavesSshdsDefaultHostKeysAloneInEtcSsh() {
            String lines = SshdConfig.render(new HostFiles(Path.of("/etc/ssh")), "https://ca.example.com");
            assertTrue(lines.contains("\n# HostKey /etc/ssh/ssh_host_ed25519_key is one of sshd's default host keys;"), lines);
            assertTrue(lines.contains("\nHostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub\n"), lines);
            assertTrue(lines.contains("root writ host renew && systemctl reload ssh"), lines);
        }

        @Test
        void usesTheCaThatBootstrapRemembered() throws Exception {
            bootstrapped();
            Run run = writ(Clock.systemUTC(), "sshd-config", "--dir", dir.toString());
            assertEquals(0, run.exit(), run.err());
            assertTrue(run.out().contains(" http://127.0.0.1:9/v1/krl "), run.out());
        }
    }

    static Stream<Arguments> usage() {
        return Stream.of(
                Arguments.of("fail/bootstrap-without-credential", List.of("bootstrap", "--ca", "https://ca.example.com",
                        "--hostname", "web01.example.com"), 2,
                        "Error: Missing required argument (specify one of these): (--token=TOKEN | --workload-token-file=FILE)"),
                Arguments.of("fail/bootstrap-with-both-credentials", List.of("bootstrap", "--ca", "https://ca.example.com",
                        "--hostname", "web01.example.com", "--token", "t", "--workload-token-file", "f"), 2,
                        "Error: --token=TOKEN, --workload-token-file=FILE are mutually exclusive (specify only one)"),
                Arguments.of("fail/bootstrap-without-hostname", List.of("bootstrap", "--ca", "https://ca.example.com",
                        "--token", "t"), 2, "Missing required option: '--hostname=NAME'"),
                Arguments.of("fail/bootstrap-over-plain-http", List.of("bootstrap", "--ca", "http://ca.example.com",
                        "--hostname", "web01.example.com", "--token", "t", "--dir", "/nonexistent"), 2,
                        "writ host bootstrap: --ca must use https: tokens are never sent in clear text (http only to a loopback address)"),
                Arguments.of("fail/bootstrap-ca-not-a-url", List.of("bootstrap", "--ca", "ca.example.com",
                        "--hostname", "web01.example.com", "--token", "t", "--dir", "/nonexistent"), 2,
                        "writ host bootstrap: --ca must be the CA's base URL, such as https://ca.example.com, got 'ca.example.com'"),
                Arguments.of("fail/token-create-without-id-token", List.of("token", "create", "--ca", "https://ca.example.com",
                        "--hostname", "web01.example.com"), 2, "writ host token create: --id-token-file is required"),
                Arguments.of("fail/token-create-unreadable-id-token", List.of("token", "create", "--ca", "https://ca.example.com",
                        "--hostname", "web01.example.com", "--id-token-file", "/nonexistent/token"), 15,
                        "writ host token create: cannot read --id-token-file /nonexistent/token: /nonexistent/token"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("usage")
    void refusesBadUsageWithOneClearLine(String name, List<String> args, int exit, String firstLine) {
        Run run = writ(Clock.systemUTC(), args.toArray(String[]::new));
        assertEquals(exit, run.exit(), run.err());
        assertEquals(firstLine, run.err().lines().findFirst().orElse(""));
        assertEquals("", run.out());
    }

    @Test
    void rejectsATokenFileWithMoreThanAToken() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "one\ntwo\n");
        HostCommandException e = org.junit.jupiter.api.Assertions.assertThrows(HostCommandException.class,
                () -> JoinTokenCreation.readToken(file, "--workload-token-file"));
        assertEquals("--workload-token-file " + file + " must hold one token on one line", e.getMessage());
    }
}
