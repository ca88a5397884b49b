package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.relay.InitiatedChannel;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every channel and request the bastion refuses leaves exactly one {@code bastion.channel.refused}
 * event in the CA's audit log, with its reason and the type asked for, and one count in
 * {@code writ_bastion_requests_refused_total{reason}}. Keepalives, answered "failure" as
 * courtesy, leave neither. The real OpenSSH client where it can ask ({@code ssh -R}, keepalives);
 * a MINA client for what OpenSSH never sends.
 */
class RefusalAuditTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding, permit-X11-forwarding]
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
    /** Everything but agent forwarding. */
    static Engineer alice;
    /** No extension at all: no PTY, no port forwarding. */
    static Engineer carol;
    static MinaClient client;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), "", SessionRecorder.NONE);
        alice = stack.engineer("alice", List.of("engineering"), "");
        carol = stack.engineer("carol", List.of("batch"), "");
        client = new MinaClient();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Nested
    class WithOpenSsh {

        @ParameterizedTest
        @EnumSource(Route.class)
        void refusesRemoteForwardingAndAuditsIt(Route route) throws Exception {
            Refused expected = new Refused("alice", "global_request", "tcpip-forward", "remote_forwarding_not_permitted",
                    "127.0.0.1:0");
            long audited = expected.audited();
            double counted = refusalsCounted(expected.reason());
            Processes.Result result = Processes.run(route.ssh(alice, stack.bastion.port(), LOGIN, "web01",
                    "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:9", "--", "echo should-not-run"), 30);
            assertEquals(255, result.exitCode(), result.output());
            assertTrue(result.output().contains("remote port forwarding failed"), result.output());
            assertFalse(result.output().contains("should-not-run"), result.output());
            expected.awaitExactlyOneMoreThan(audited);
            assertEquals(counted + 1, refusalsCounted(expected.reason()));
        }

        /** {@code ssh -R /path:host:port} asks for {@code streamlocal-forward@openssh.com}. */
        @ParameterizedTest
        @EnumSource(Route.class)
        void refusesRemoteForwardingOfAUnixSocketAndAuditsIt(Route route) throws Exception {
            String socket = dir.resolve("forwarded-" + route + ".sock").toString();
            Refused expected = new Refused("alice", "global_request", "streamlocal-forward@openssh.com",
                    "remote_forwarding_not_permitted", socket);
            long audited = expected.audited();
            double counted = refusalsCounted(expected.reason());
            Processes.Result result = Processes.run(route.ssh(alice, stack.bastion.port(), LOGIN, "web01",
                    "-o", "ExitOnForwardFailure=yes", "-R", socket + ":127.0.0.1:9", "--", "echo should-not-run"), 30);
            assertEquals(255, result.exitCode(), result.output());
            assertTrue(result.output().contains("remote port forwarding failed"), result.output());
            assertFalse(result.output().contains("should-not-run"), result.output());
            expected.awaitExactlyOneMoreThan(audited);
            assertEquals(counted + 1, refusalsCounted(expected.reason()));
        }

        /**
         * ServerAliveInterval sends {@code keepalive@openssh.com} every second; with ServerAliveCountMax=1
         * ssh gives up on a bastion that leaves two unanswered. They are answered, and nothing is counted.
         */
        @ParameterizedTest
        @EnumSource(Route.class)
        void answersKeepalivesWithoutCountingThemAsRefusals(Route route) throws Exception {
            double counted = refusalsCounted(null);
            Processes.Result result = Processes.run(route.ssh(alice, stack.bastion.port(), LOGIN, "web01",
                    "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=1", "--", "sleep 4; echo still-here"), 30);
            assertEquals(0, result.exitCode(), result.output());
            assertEquals("still-here", result.output().strip());
            assertEquals(counted, refusalsCounted(null));
        }
    }

    @Nested
    class WithMina {

        static Stream<Arguments> refusals() {
            return Stream.of(
                    // the whole connection
                    Arguments.of("global/tcpip-forward", alice, LOGIN + "@web01", (Ask) s -> global(s, "tcpip-forward",
                            b -> { b.putString("127.0.0.1"); b.putUInt(0); }),
                            new Refused("alice", "global_request", "tcpip-forward", "remote_forwarding_not_permitted", "127.0.0.1:0")),
                    Arguments.of("global/cancel-tcpip-forward", alice, LOGIN + "@web01", (Ask) s -> global(s, "cancel-tcpip-forward",
                            b -> { b.putString("127.0.0.1"); b.putUInt(4000); }),
                            new Refused("alice", "global_request", "cancel-tcpip-forward", "remote_forwarding_not_permitted",
                                    "127.0.0.1:4000")),
                    Arguments.of("global/streamlocal-forward", alice, LOGIN + "@web01", (Ask) s -> global(s,
                            "streamlocal-forward@openssh.com", b -> b.putString("/tmp/writ-test.sock")),
                            new Refused("alice", "global_request", "streamlocal-forward@openssh.com",
                                    "remote_forwarding_not_permitted", "/tmp/writ-test.sock")),
                    Arguments.of("global/cancel-streamlocal-forward", alice, LOGIN + "@web01", (Ask) s -> global(s,
                            "cancel-streamlocal-forward@openssh.com", b -> b.putString("/tmp/writ-test.sock")),
                            new Refused("alice", "global_request", "cancel-streamlocal-forward@openssh.com",
                                    "remote_forwarding_not_permitted", "/tmp/writ-test.sock")),
                    Arguments.of("global/unknown", alice, LOGIN + "@web01", (Ask) s -> global(s, "exotic@example.com", b -> { }),
                            new Refused("alice", "global_request", "exotic@example.com", "global_request_not_allowed", null)),
                    // channel types
                    Arguments.of("channel/x11", alice, LOGIN + "@web01", (Ask) s -> open(s, "x11"),
                            new Refused("alice", "channel_open", "x11", "channel_type_not_allowed", null)),
                    Arguments.of("channel/forwarded-tcpip", alice, LOGIN + "@web01", (Ask) s -> open(s, "forwarded-tcpip"),
                            new Refused("alice", "channel_open", "forwarded-tcpip", "channel_type_not_allowed", null)),
                    Arguments.of("channel/auth-agent", alice, LOGIN + "@web01", (Ask) s -> open(s, "auth-agent@openssh.com"),
                            new Refused("alice", "channel_open", "auth-agent@openssh.com", "channel_type_not_allowed", null)),
                    Arguments.of("channel/tun", alice, LOGIN + "@web01", (Ask) s -> open(s, "tun@openssh.com"),
                            new Refused("alice", "channel_open", "tun@openssh.com", "channel_type_not_allowed", null)),
                    Arguments.of("channel/direct-streamlocal", alice, LOGIN + "@web01",
                            (Ask) s -> open(s, "direct-streamlocal@openssh.com"),
                            new Refused("alice", "channel_open", "direct-streamlocal@openssh.com", "channel_type_not_allowed", null)),
                    Arguments.of("channel/unknown", alice, LOGIN + "@web01", (Ask) s -> open(s, "exotic@example.com"),
                            new Refused("alice", "channel_open", "exotic@example.com", "channel_type_not_allowed", null)),
                    Arguments.of("channel/session-after-no-more-sessions", alice, LOGIN + "@web01", (Ask) s -> {
                        Buffer noMore = s.createBuffer(SshConstants.SSH_MSG_GLOBAL_REQUEST);
                        noMore.putString("no-more-sessions@openssh.com");
                        noMore.putBoolean(false);
                        s.writePacket(noMore);
                        assertOpenRefused(s.createShellChannel());
                    }, new Refused("alice", "channel_open", "session", "no_more_sessions", null)),
                    Arguments.of("channel/session-on-the-jump-connection", alice, "jump",
                            (Ask) s -> assertOpenRefused(s.createShellChannel()),
                            new Refused("alice", "channel_open", "session", "no_target", null)),
                    Arguments.of("channel/direct-tcpip-without-permit-port-forwarding", carol, LOGIN + "@web01",
                            (Ask) s -> assertOpenRefused(forward(s, "localhost", 22)),
                            new Refused("carol", "channel_open", "direct-tcpip", "port_forwarding_not_permitted", "localhost:22")),
                    Arguments.of("channel/direct-tcpip-to-a-host-policy-does-not-allow", alice, LOGIN + "@web01",
                            (Ask) s -> assertOpenRefused(forward(s, "db01", 5432)),
                            new Refused("alice", "channel_open", "direct-tcpip", "forwarding_destination_not_allowed", "db01:5432")),
                    Arguments.of("channel/jump-to-an-unknown-target", alice, "jump",
                            (Ask) s -> assertOpenRefused(forward(s, "nowhere", 22)),
                            new Refused("alice", "channel_open", "direct-tcpip", "unknown_target", "nowhere:22")),
                    // requests on a session channel
                    Arguments.of("request/x11-req", alice, LOGIN + "@web01", (Ask) s -> onExec(s, "x11-req", b -> {
                        b.putBoolean(false);
                        b.putString("MIT-MAGIC-COOKIE-1");
                        b.putString("0123456789abcdef0123456789abcdef");
                        b.putUInt(0);
                    }), new Refused("alice", "channel_request", "x11-req", "x11_forwarding_not_permitted", null)),
                    Arguments.of("request/env-not-allowlisted", alice, LOGIN + "@web01", (Ask) s -> onExec(s, "env", b -> {
                        b.putString("LD_PRELOAD");
                        b.putString("/tmp/evil.so");
                    }), new Refused("alice", "channel_request", "env", "env_not_allowed", "LD_PRELOAD")),
                    Arguments.of("request/pty-without-permit-pty", carol, LOGIN + "@web01", (Ask) s -> onExec(s, "pty-req", b -> {
                        b.putString("xterm");
                        b.putUInt(80);
                        b.putUInt(24);
                        b.putUInt(0);
                        b.putUInt(0);
                        b.putBytes(new byte[] {0});
                    }), new Refused("carol", "channel_request", "pty-req", "pty_not_permitted", null)),
                    Arguments.of("request/agent-without-permit-agent-forwarding", alice, LOGIN + "@web01",
                            (Ask) s -> onExec(s, "auth-agent-req@openssh.com", b -> { }),
                            new Refused("alice", "channel_request", "auth-agent-req@openssh.com", "agent_forwarding_not_permitted", null)),
                    Arguments.of("request/unknown-on-a-session", alice, LOGIN + "@web01",
                            (Ask) s -> onExec(s, "exotic@example.com", b -> { }),
                            new Refused("alice", "channel_request", "exotic@example.com", "request_not_allowed", null)),
                    // requests on channels that carry data only
                    Arguments.of("request/on-a-forwarded-port", alice, LOGIN + "@web01", (Ask) s -> {
                        try (ChannelDirectTcpip forwarded = forward(s, "localhost", stack.target(0).port())) {
                            forwarded.open().verify(Duration.ofSeconds(10));
                            request(forwarded, "exotic@example.com", b -> { });
                        }
                    }, new Refused("alice", "channel_request", "exotic@example.com", "request_not_allowed", null)),
                    Arguments.of("request/on-the-jump-channel", alice, "jump", (Ask) s -> {
                        try (ChannelDirectTcpip jump = forward(s, "web01", 22)) {
                            jump.open().verify(Duration.ofSeconds(10));
                            request(jump, "exotic@example.com", b -> { });
                        }
                    }, new Refused("alice", "channel_request", "exotic@example.com", "request_not_allowed", null)));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("refusals")
        void auditsAndCountsEachRefusalOnce(String name, Engineer engineer, String user, Ask ask, Refused expected) throws Exception {
            long audited = expected.audited();
            double counted = refusalsCounted(expected.reason());
            try (ClientSession session = client.login(stack.bastion.port(), user, engineer.key(), engineer.certificate())) {
                ask.on(session);
                expected.awaitExactlyOneMoreThan(audited);
            }
            assertEquals(counted + 1, refusalsCounted(expected.reason()), name);
        }

        /** The global keepalive is answered; a refused request sent after the channel's keepalive shows both were handled. */
        @Test
        void declinesKeepalivesWithoutAuditingOrCountingThem() throws Exception {
            Refused after = new Refused("alice", "channel_request", "exotic@example.com", "request_not_allowed", null);
            long audited = after.audited();
            double counted = refusalsCounted(null);
            try (ClientSession session = client.login(stack.bastion.port(), LOGIN + "@web01", alice.key(), alice.certificate())) {
                Buffer keepalive = session.createBuffer(SshConstants.SSH_MSG_GLOBAL_REQUEST);
                keepalive.putString("keepalive@openssh.com");
                keepalive.putBoolean(true);
                // answered (MINA says success, sshd says failure: OpenSSH's client takes either as a sign of life)
                assertNotNull(session.request("keepalive@openssh.com", keepalive, Duration.ofSeconds(10)));
                assertEquals(counted, refusalsCounted(null));
                try (ChannelExec exec = session.createExecChannel("sleep 10")) {
                    exec.open().verify(Duration.ofSeconds(10));
                    request(exec, "keepalive@openssh.com", b -> { });
                    request(exec, "exotic@example.com", b -> { });
                    after.awaitExactlyOneMoreThan(audited);
                }
            }
            assertEquals(counted + 1, refusalsCounted(null), "only the exotic request is counted");
        }
    }

    /** What a case asks of the bastion on a logged-in MINA session. */
    interface Ask {
        void on(ClientSession session) throws Exception;
    }

    interface Payload {
        void write(Buffer buffer);
    }

    /** A global request wanting a reply, which must be "failure". */
    static void global(ClientSession session, String type, Payload payload) throws Exception {
        Buffer request = session.createBuffer(SshConstants.SSH_MSG_GLOBAL_REQUEST);
        request.putString(type);
        request.putBoolean(true);
        payload.write(request);
        assertNull(session.request(type, request, Duration.ofSeconds(10)), type + " answered success");
    }

    static void open(ClientSession session, String type) {
        var opening = InitiatedChannel.open(session, new InitiatedChannel(type, new byte[0]));
        ExecutionException refused = assertThrows(ExecutionException.class, () -> opening.get(10, TimeUnit.SECONDS));
        assertNotNull(refused.getCause());
    }

    static void assertOpenRefused(ClientChannel channel) {
        assertThrows(Exception.class, () -> channel.open().verify(Duration.ofSeconds(10)));
    }

    static ChannelDirectTcpip forward(ClientSession session, String host, int port) throws Exception {
        return session.createDirectTcpipChannel(new SshdSocketAddress("127.0.0.1", 0), new SshdSocketAddress(host, port));
    }

    /** A request on a fresh exec channel of the session. */
    static void onExec(ClientSession session, String type, Payload payload) throws Exception {
        try (ChannelExec exec = session.createExecChannel("sleep 10")) {
            exec.open().verify(Duration.ofSeconds(10));
            request(exec, type, payload);
        }
    }

    /** Sends a channel request without wanting a reply (OpenSSH's own way for most of them). */
    static void request(ClientChannel channel, String type, Payload payload) throws Exception {
        Buffer request = channel.getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST);
        request.putUInt(channel.getRecipient());
        request.putString(type);
        request.putBoolean(false);
        payload.write(request);
        channel.writePacket(request);
    }

    /** The audit event a case expects; {@code requested} null when the event carries none. */
    record Refused(String engineer, String kind, String request, String reason, String requested) {

        long audited() throws Exception {
            return stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.channel.refused'"
                    + " AND actor = '" + engineer + "@example.com'"
                    + " AND details LIKE '%\"reason\":\"" + reason + "\"%'"
                    + " AND details LIKE '%\"request\":\"" + request + "\"%'"
                    + " AND details LIKE '%\"request_kind\":\"" + kind + "\"%'"
                    + (requested == null ? " AND details NOT LIKE '%\"requested\"%'"
                    : " AND details LIKE '%\"requested\":\"" + requested + "\"%'"));
        }

        /** Waits (10 s at most) for the event, then a moment more to see that no second one follows. */
        void awaitExactlyOneMoreThan(long before) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (audited() == before) {
                assertTrue(System.nanoTime() < deadline, "no bastion.channel.refused event like " + this);
                Thread.sleep(100);
            }
            Thread.sleep(300);
            assertEquals(before + 1, audited(), "one event like " + this);
        }
    }

    /** {@code writ_bastion_requests_refused_total} for {@code reason} (null: all reasons) from the bastion's /metrics. */
    static double refusalsCounted(String reason) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + stack.bastion.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(line -> line.startsWith("writ_bastion_requests_refused_total{"))
                .filter(line -> reason == null || line.contains("reason=\"" + reason + "\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
