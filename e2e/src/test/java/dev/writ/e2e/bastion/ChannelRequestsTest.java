package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import dev.writ.bastion.relay.InitiatedChannel;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Channel requests and channel types that OpenSSH's client sends only from a real terminal, or
 * never: window changes and signals reach the target; X11, remote forwarding and channels the
 * bastion does not relay are refused. A MINA client plays the engineer.
 */
class ChannelRequestsTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding, permit-X11-forwarding]
            """;
    static final String LOGIN = Stack.LOGIN;

    @TempDir
    static Path dir;
    static Stack stack;
    static Engineer alice;
    static MinaClient client;
    static Sshd uncertified;

    @BeforeAll
    static void start() throws Exception {
        // a target that presents its plain host key, no certificate from our CA
        uncertified = Sshd.in(dir.resolve("uncertified")).start();
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of("X11Forwarding yes"),
                "  - name: web03\n    address: 127.0.0.1:" + uncertified.port() + "\ndns_targets: [\"*.invalid\"]\n",
                SessionRecorder.NONE);
        alice = stack.engineer("alice", List.of("engineering"), "");
        client = new MinaClient();
    }

    @AfterAll
    static void stop() {
        if (uncertified != null) {
            uncertified.close();
        }
        if (client != null) {
            client.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    static ClientSession login(String user) throws Exception {
        return client.login(stack.bastion.port(), user, alice.key(), alice.certificate());
    }

    @Test
    void relaysWindowChangesToThePty() throws Exception {
        try (ClientSession session = login(LOGIN + "@web01")) {
            PtyChannelConfiguration pty = new PtyChannelConfiguration();
            pty.setPtyColumns(80);
            pty.setPtyLines(24);
            try (ChannelShell shell = session.createShellChannel(pty, null)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                shell.setOut(out);
                shell.setErr(out);
                shell.open().verify(Duration.ofSeconds(10));
                shell.getInvertedIn().write("stty size\n".getBytes(StandardCharsets.UTF_8));
                shell.getInvertedIn().flush();
                await(out, "24 80");
                shell.sendWindowChange(132, 50);
                Thread.sleep(300);
                shell.getInvertedIn().write("stty size; exit\n".getBytes(StandardCharsets.UTF_8));
                shell.getInvertedIn().flush();
                await(out, "50 132");
            }
        }
    }

    /**
     * The signal request reaches the target. (The test sshd then declines to deliver it, logging
     * "session signalling requires privilege separation"; OpenSSH's rule, not the bastion's.)
     */
    @Test
    void relaysSignalRequests() throws Exception {
        try (ClientSession session = login(LOGIN + "@web01");
             ChannelExec exec = session.createExecChannel("echo started; exec sleep 2")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            exec.setOut(out);
            exec.open().verify(Duration.ofSeconds(10));
            await(out, "started");
            Buffer signal = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST);
            signal.putUInt(exec.getRecipient());
            signal.putString("signal");
            signal.putBoolean(false);
            signal.putString("TERM");
            exec.writePacket(signal);
            exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
        }
        assertTrue(stack.target(0).log().contains("session_signal_req"), stack.target(0).log());
    }

    @Test
    void relaysTheExitSignal() throws Exception {
        try (ClientSession session = login(LOGIN + "@web01");
             ChannelExec exec = session.createExecChannel("kill -TERM $$")) {
            exec.open().verify(Duration.ofSeconds(10));
            exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
            assertEquals("TERM", exec.getExitSignal());
        }
    }

    @Test
    void refusesX11ForwardingEvenWithTheExtension() throws Exception {
        try (ClientSession session = login(LOGIN + "@web01");
             ChannelExec exec = session.createExecChannel("echo \"[$DISPLAY]\"")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            exec.setOut(out);
            exec.open().verify(Duration.ofSeconds(10));
            Buffer x11 = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST);
            x11.putUInt(exec.getRecipient());
            x11.putString("x11-req");
            x11.putBoolean(false);
            x11.putBoolean(false);
            x11.putString("MIT-MAGIC-COOKIE-1");
            x11.putString("0123456789abcdef0123456789abcdef");
            x11.putUInt(0);
            exec.writePacket(x11);
            exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
            assertEquals("[]", out.toString(StandardCharsets.UTF_8).strip());
        }
    }

    @Test
    void refusesRemoteForwarding() throws Exception {
        try (ClientSession session = login(LOGIN + "@web01")) {
            assertThrows(Exception.class, () -> session.startRemotePortForwarding(new SshdSocketAddress("127.0.0.1", 0),
                    new SshdSocketAddress("127.0.0.1", 9)));
        }
        Processes.Result result = Processes.run(Engineer.with(alice.direct(stack.bastion.port(), LOGIN, "web01",
                "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:9"), "echo should-not-run"), 30);
        assertTrue(result.output().contains("remote port forwarding failed"), result.output());
        assertFalse(result.output().contains("should-not-run"), result.output());
    }

    @Test
    void refusesASessionOnTheJumpConnectionWithAMessage() throws Exception {
        try (ClientSession session = login("jump")) {
            ClientChannel shell = session.createShellChannel();
            Exception refused = assertThrows(Exception.class, () -> shell.open().verify(Duration.ofSeconds(10)));
            assertTrue(String.valueOf(refused.getMessage()).contains("writ: name a target"), String.valueOf(refused));
        }
    }

    @Test
    void refusesAJumpToAnythingButAConfiguredTarget() throws Exception {
        try (ClientSession session = login("jump")) {
            var channel = session.createDirectTcpipChannel(new SshdSocketAddress("127.0.0.1", 0),
                    new SshdSocketAddress("127.0.0.1", stack.ca.url().endsWith("/") ? 1 : Integer.parseInt(
                            stack.ca.url().substring(stack.ca.url().lastIndexOf(':') + 1))));
            Exception refused = assertThrows(Exception.class, () -> channel.open().verify(Duration.ofSeconds(10)));
            assertTrue(String.valueOf(refused.getMessage()).contains("writ: no target named 127.0.0.1"), String.valueOf(refused));
        }
    }

    /** Only session and direct-tcpip are accepted from an engineer; forwarded-tcpip, x11 and the rest have no factory. */
    @ParameterizedTest
    @ValueSource(strings = {"forwarded-tcpip", "x11", "auth-agent@openssh.com", "tun@openssh.com"})
    void refusesEveryOtherChannelType(String type) throws Exception {
        try (ClientSession session = login(LOGIN + "@web01")) {
            CompletableFuture<InitiatedChannel> opening = InitiatedChannel.open(session, new InitiatedChannel(type, new byte[0]));
            ExecutionException refused = assertThrows(ExecutionException.class, () -> opening.get(10, TimeUnit.SECONDS));
            assertTrue(String.valueOf(refused.getCause().getMessage()).contains("Unsupported channel type"),
                    String.valueOf(refused.getCause()));
        }
    }

    /** The client's address is the socket's: a PROXY protocol header is not an SSH identification, and ends the connection. */
    @Test
    void ignoresNothingAndTrustsNoProxyHeader() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", stack.bastion.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("PROXY TCP4 192.0.2.7 127.0.0.1 40000 22\r\nSSH-2.0-OpenSSH_9.2\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] answer = socket.getInputStream().readAllBytes(); // returns when the bastion hangs up
            String text = new String(answer, StandardCharsets.US_ASCII);
            assertTrue(text.startsWith("SSH-2.0-writ"), text);
            assertTrue(text.contains("Unsupported protocol version: PROXY"), text);
        }
    }

    @Test
    void tellsTheEngineerWhenTheTargetCannotBeReached() throws Exception {
        Processes.Result result = Processes.run(Engineer.with(alice.direct(stack.bastion.port(), LOGIN, "web9.invalid",
                "-o", "LogLevel=INFO"), "echo should-not-run"), 30);
        assertTrue(result.output().contains("writ: cannot log in to web9.invalid"), result.output());
        assertFalse(result.output().contains("should-not-run"), result.output());
    }

    @Test
    void refusesATargetWithoutAHostCertificateFromTheCa() throws Exception {
        Processes.Result result = Processes.run(Engineer.with(alice.direct(stack.bastion.port(), LOGIN, "web03",
                "-o", "LogLevel=INFO"), "echo should-not-run"), 30);
        assertTrue(result.output().contains("writ: cannot log in to web03"), result.output());
        assertFalse(result.output().contains("should-not-run"), result.output());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.session.ended'"
                + " AND details LIKE '%\"reason\":\"target_unreachable\"%' AND details LIKE '%web03%'") == 0) {
            assertTrue(System.nanoTime() < deadline, "no session.ended audit event with reason target_unreachable");
            Thread.sleep(100);
        }
    }

    static void await(ByteArrayOutputStream out, String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!out.toString(StandardCharsets.UTF_8).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in: " + out.toString(StandardCharsets.UTF_8));
            Thread.sleep(50);
        }
    }
}
