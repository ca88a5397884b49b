package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What an engineer does through the bastion, with the real OpenSSH client and a real sshd as
 * the target, each test both ways: {@code login@target@bastion} and {@code ssh -J}.
 */
class RelayTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding, permit-agent-forwarding]
              - name: viewer
                match: { groups: [viewers] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
              - name: batch
                match: { groups: [batch] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
            """;
    static final String LOGIN = Stack.LOGIN;

    @TempDir
    static Path dir;
    static Stack stack;
    static Engineer alice;
    static Engineer bob;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of("AcceptEnv LANG LC_* TERM WRIT_SECRET"), "",
                SessionRecorder.NONE);
        alice = stack.engineer("alice", List.of("engineering"), "");
        bob = stack.engineer("bob", List.of("viewers"), "");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static int port() {
        return stack.bastion.port();
    }

    static Processes.Result ssh(Route route, Engineer engineer, String... optionsThenCommand) throws Exception {
        return Processes.run(route.ssh(engineer, port(), LOGIN, "web01", optionsThenCommand), 60);
    }

    @Nested
    class Exec {

        @ParameterizedTest
        @EnumSource(Route.class)
        void propagatesTheExitStatusAndKeepsStdoutAndStderrApart(Route route) throws Exception {
            List<String> command = route.ssh(alice, port(), LOGIN, "web01", "--", "echo to-stdout; echo to-stderr >&2; exit 7");
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            assertEquals(7, process.exitValue(), out + err);
            assertEquals("to-stdout\n", out);
            assertTrue(err.contains("to-stderr"), err);
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void relaysStdinUntilEofAndTheTargetLogNamesTheEngineer(Route route) throws Exception {
            Path input = Files.write(dir.resolve("stdin-" + route), "line one\nline two\n".getBytes(StandardCharsets.UTF_8));
            List<String> command = route.ssh(alice, port(), LOGIN, "web01", "--", "wc -l");
            Process process = new ProcessBuilder(command).redirectInput(input.toFile()).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            assertEquals("2", out.strip());
            assertTrue(stack.target(0).log().contains("ID alice@example.com via writ session "), stack.target(0).log());
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void relaysTheExitSignal(Route route) throws Exception {
            Processes.Result result = ssh(route, alice, "--", "kill -TERM $$");
            assertEquals(255, result.exitCode(), result.output()); // ssh reports a remote signal as 255
            assertTrue(result.output().contains("killed by signal") || result.output().isEmpty(), result.output());
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void passesOnlyAllowlistedEnvironmentVariables(Route route) throws Exception {
            Processes.Result result = ssh(route, alice, "-o", "SetEnv=LANG=C.UTF-8 WRIT_SECRET=leaked LC_TIME=C", "--",
                    "echo \"[$LANG][$LC_TIME][$WRIT_SECRET]\"");
            assertEquals(0, result.exitCode(), result.output());
            assertEquals("[C.UTF-8][C][]", result.output().strip());
        }
    }

    @Nested
    class Terminal {

        @ParameterizedTest
        @EnumSource(Route.class)
        void runsAnInteractiveShellOnAPtyWithScriptedInput(Route route) throws Exception {
            List<String> command = route.ssh(alice, port(), LOGIN, "web01", "-tt");
            Processes.Result result = Shell.run(command, "tty; echo marker-$((6*7))\nexit 5\n", 60);
            assertEquals(5, result.exitCode(), result.output());
            assertTrue(result.output().contains("marker-42"), result.output());
            assertTrue(result.output().contains("/dev/pts/"), result.output());
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void refusesAPtyWithoutPermitPtyAndAuditsIt(Route route) throws Exception {
            Engineer batch = stack.engineer("batch", List.of("batch"), "");
            String audited = "SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.channel.refused'"
                    + " AND details LIKE '%pty_not_permitted%' AND actor = 'batch@example.com'";
            long before = stack.count(audited);
            Processes.Result result = Shell.run(route.ssh(batch, port(), LOGIN, "web01", "-tt"), "tty\nexit\n", 60);
            // with -tt, OpenSSH treats a refused PTY as fatal and closes the session
            assertTrue(result.output().contains("PTY allocation request failed"), result.output());
            assertFalse(result.output().contains("/dev/pts/"), result.output());
            waitFor(() -> stack.count(audited) > before);
        }
    }

    @Nested
    class Files_ {

        @ParameterizedTest
        @EnumSource(Route.class)
        void scpCopiesByteIdenticalBothWaysOverSftpAndTheLegacyProtocol(Route route) throws Exception {
            for (String protocol : List.of("-s", "-O")) {
                Path local = randomFile("scp-" + route + protocol, 3 * 1024 * 1024 + 17);
                Path remote = dir.resolve("remote-scp-" + route + protocol);
                List<String> up = route.copyTool("scp", alice, port());
                up.addAll(List.of(protocol, "-q", local.toString(), route.host(LOGIN, "web01") + ":" + remote));
                Processes.Result upload = Processes.run(up, 60);
                assertEquals(0, upload.exitCode(), upload.output());
                assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remote));

                Path back = dir.resolve("back-scp-" + route + protocol);
                List<String> down = route.copyTool("scp", alice, port());
                down.addAll(List.of(protocol, "-q", route.host(LOGIN, "web01") + ":" + remote, back.toString()));
                Processes.Result download = Processes.run(down, 60);
                assertEquals(0, download.exitCode(), download.output());
                assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(back));
            }
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void sftpCopiesByteIdenticalBothWays(Route route) throws Exception {
            Path local = randomFile("sftp-" + route, 2 * 1024 * 1024 + 5);
            Path remote = dir.resolve("remote-sftp-" + route);
            Path back = dir.resolve("back-sftp-" + route);
            Path batch = Files.writeString(dir.resolve("batch-" + route),
                    "put " + local + " " + remote + "\nget " + remote + " " + back + "\n");
            List<String> command = route.copyTool("sftp", alice, port());
            command.addAll(List.of("-b", batch.toString(), route.host(LOGIN, "web01")));
            Processes.Result result = Processes.run(command, 60);
            assertEquals(0, result.exitCode(), result.output());
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remote));
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(back));
        }

        static Path randomFile(String name, int size) throws Exception {
            byte[] bytes = new byte[size];
            new Random(name.hashCode()).nextBytes(bytes);
            return Files.write(dir.resolve(name), bytes);
        }
    }

    @Nested
    class PortForwarding {

        @ParameterizedTest
        @EnumSource(Route.class)
        void forwardsALocalPortWithPermitPortForwarding(Route route) throws Exception {
            try (EchoServer echo = new EchoServer(); Forward forward = new Forward(route, alice, echo.port())) {
                assertEquals("ping through writ", forward.roundTrip("ping through writ"));
            }
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void refusesALocalPortWithoutPermitPortForwardingAndAuditsIt(Route route) throws Exception {
            long before = stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.channel.refused'"
                    + " AND details LIKE '%port_forwarding_not_permitted%' AND actor = 'bob@example.com'");
            try (EchoServer echo = new EchoServer(); Forward forward = new Forward(route, bob, echo.port())) {
                assertEquals("", forward.roundTrip("ping"));
            }
            waitFor(() -> stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.channel.refused'"
                    + " AND details LIKE '%port_forwarding_not_permitted%' AND actor = 'bob@example.com'") > before);
        }
    }

    @Nested
    class AgentForwarding {

        @ParameterizedTest
        @EnumSource(Route.class)
        void forwardsTheAgentWithPermitAgentForwarding(Route route) throws Exception {
            try (Agent agent = Agent.start(dir.resolve("agent-" + route))) {
                // IdentityAgent on the command line: the config's "none" would keep ssh from forwarding anything
                Processes.Result result = ssh(route, alice, "-o", "IdentityAgent=" + agent.socket, "-o", "ForwardAgent=yes",
                        "--", "ssh-add -l");
                assertEquals(0, result.exitCode(), result.output());
                assertTrue(result.output().contains(agent.fingerprint), result.output());
            }
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void forwardsNoAgentWithoutPermitAgentForwardingAndAuditsIt(Route route) throws Exception {
            String audited = "SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.channel.refused'"
                    + " AND details LIKE '%agent_forwarding_not_permitted%' AND actor = 'bob@example.com'";
            long before = stack.count(audited);
            try (Agent agent = Agent.start(dir.resolve("agent-bob-" + route))) {
                Processes.Result result = ssh(route, bob, "-o", "IdentityAgent=" + agent.socket, "-o", "ForwardAgent=yes",
                        "--", "echo \"[$SSH_AUTH_SOCK]\"");
                assertEquals("[]", result.output().strip().lines().reduce((a, b) -> b).orElse(""), result.output());
            }
            waitFor(() -> stack.count(audited) > before);
        }
    }

    /** {@code ssh -N -L} in the background, forwarding a local port to {@code 127.0.0.1:port} as seen from web01. */
    static final class Forward implements AutoCloseable {
        final Process process;
        final int localPort;

        Forward(Route route, Engineer engineer, int targetPort) throws Exception {
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                localPort = probe.getLocalPort();
            }
            process = new ProcessBuilder(route.ssh(engineer, port(), LOGIN, "web01", "-N",
                    "-L", "127.0.0.1:" + localPort + ":127.0.0.1:" + targetPort)).redirectErrorStream(true).start();
            waitFor(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", localPort), 200);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
        }

        /** Sends a line and reads the echo; empty when the forwarded connection was refused. */
        String roundTrip(String text) throws Exception {
            try (Socket socket = new Socket("127.0.0.1", localPort)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write((text + "\n").getBytes(StandardCharsets.UTF_8));
                byte[] buffer = new byte[256];
                int n = socket.getInputStream().read(buffer);
                return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8).strip();
            } catch (java.net.SocketException e) {
                return "";
            }
        }

        @Override
        public void close() {
            process.destroy();
        }
    }

    /** A TCP echo server on loopback: the "database" behind the target. */
    static final class EchoServer implements AutoCloseable {
        final ServerSocket server;
        final Thread thread;

        EchoServer() throws Exception {
            server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket socket = server.accept(); InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                        in.transferTo(out);
                    } catch (Exception e) {
                        // next connection
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    /** A real ssh-agent holding one key. */
    static final class Agent implements AutoCloseable {
        final Process process;
        final Path socket;
        final String fingerprint;

        private Agent(Process process, Path socket, String fingerprint) {
            this.process = process;
            this.socket = socket;
            this.fingerprint = fingerprint;
        }

        static Agent start(Path dir) throws Exception {
            Files.createDirectories(dir);
            Path socket = dir.resolve("agent.sock");
            Process process = new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString()).redirectErrorStream(true).start();
            waitFor(() -> Files.exists(socket));
            Path key = Engineer.newKey(dir.resolve("agent_key"));
            List<String> add = new ArrayList<>(List.of("env", "SSH_AUTH_SOCK=" + socket, "ssh-add", "-q", key.toString()));
            assertEquals(0, Processes.run(add).exitCode());
            String fingerprint = Processes.run(List.of("ssh-keygen", "-l", "-f", key + ".pub")).output().split(" ")[1];
            return new Agent(process, socket, fingerprint);
        }

        @Override
        public void close() {
            process.destroy();
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void waitFor(Condition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 15 s");
            }
            Thread.sleep(100);
        }
    }

    static void assertNotEmpty(String s) {
        assertFalse(s.isEmpty());
        assertNotEquals("", s);
    }
}
