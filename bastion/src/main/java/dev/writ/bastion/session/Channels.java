package dev.writ.bastion.session;

import dev.writ.bastion.auth.CertificateCheck;
import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.hostkeys.HostKeys;
import dev.writ.bastion.observe.ChannelInfo;
import dev.writ.bastion.observe.ChannelObserver;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.relay.AcceptedChannel;
import dev.writ.bastion.relay.ChannelSink;
import dev.writ.bastion.relay.InitiatedChannel;
import dev.writ.bastion.relay.JumpTransport;
import dev.writ.bastion.relay.Link;
import dev.writ.bastion.relay.OpenRefusal;
import dev.writ.bastion.relay.Refusal;
import dev.writ.bastion.relay.RequestPolicy;
import dev.writ.bastion.route.Target;
import dev.writ.bastion.route.Targets;
import dev.writ.bastion.upstream.Upstream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.io.IoService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.session.ServerSession;

/**
 * Every channel type the bastion accepts, and the authorization of each: {@code session} (relayed
 * to a session channel on the target), {@code direct-tcpip} (a ProxyJump, or {@code ssh -L}
 * forwarded through the target), and, from a target, {@code auth-agent@openssh.com} (relayed back
 * to the engineer's agent). Each refusal here is reported to the session ({@link Sessions#refused}).
 * Any other type from the engineer — {@code forwarded-tcpip}, {@code x11} — has no factory: MINA
 * refuses it, and {@link dev.writ.bastion.relay.RefusalMessages} reports it.
 */
public final class Channels {

    /** Destinations of a forwarded port that mean "the target itself". */
    private static final Set<String> TARGET_ITSELF = Set.of("localhost", "127.0.0.1", "::1");

    private final Sessions sessions;
    private final Targets targets;
    private final CertificateCheck check;
    private final HostKeys hostKeys;
    private final SessionRecorder recorder;
    private final Clock clock;
    private final IoService jumpService = JumpTransport.service(Map::of);
    private volatile SshServer server;

    public Channels(Sessions sessions, Targets targets, CertificateCheck check, HostKeys hostKeys, SessionRecorder recorder,
                    Clock clock) {
        this.sessions = sessions;
        this.targets = targets;
        this.check = check;
        this.hostKeys = hostKeys;
        this.recorder = recorder;
        this.clock = clock;
    }

    /** The SSH server whose session factory runs intercepted ProxyJump connections. */
    public void serveOn(SshServer sshServer) {
        this.server = sshServer;
    }

    /** The factories for the engineer's side. */
    public List<ChannelFactory> serverFactories() {
        return List.of(factory("session", this::openSession), factory("direct-tcpip", this::openDirectTcpip));
    }

    /** The factory for channels a target opens back (agent forwarding). */
    public List<ChannelFactory> clientFactories() {
        return List.of(factory("auth-agent@openssh.com", this::openAgent));
    }

    private CompletableFuture<ChannelSink> openSession(AcceptedChannel channel, Buffer request) {
        ActiveSession session = sessions.of(channel.getSession());
        String noTarget = "writ: name a target: ssh -p PORT LOGIN@TARGET@BASTION, or ssh -J BASTION LOGIN@TARGET";
        if (session == null) {
            return refuse(noTarget);
        }
        if (!session.grant().reachesTarget()) {
            return refuse(session, Refusal.channel("session", "no_target", null), noTarget);
        }
        String unrecordable = sessions.unrecordable(session);
        if (unrecordable != null) {
            return refuse(session, Refusal.channel("session", "recording_unavailable", null), "writ: " + unrecordable);
        }
        InitiatedChannel toTarget = new InitiatedChannel("session", new byte[0]);
        Link link = Link.between(channel.end(), toTarget.end(),
                new SessionRequests(session.grant(), session::agentForwardingRequested),
                observer(session, "session", Map.of()), session);
        return openOnTarget(session, toTarget, link, true);
    }

    private CompletableFuture<ChannelSink> openDirectTcpip(AcceptedChannel channel, Buffer request) {
        String host = request.getString();
        int port = (int) request.getUInt();
        String originator = request.getString();
        int originatorPort = (int) request.getUInt();
        ActiveSession session = sessions.of(channel.getSession());
        if (session == null) {
            return refuse("writ: not logged in");
        }
        Grant grant = session.grant();
        if (grant.kind() == Grant.Kind.JUMP) {
            return jump(channel, session, host, port);
        }
        String requested = host + ":" + port;
        if (!grant.permits("permit-port-forwarding")) {
            return refuse(session, Refusal.channel("direct-tcpip", "port_forwarding_not_permitted", requested),
                    "writ: your certificate does not permit port forwarding");
        }
        String role = String.join(",", grant.roles());
        if (grant.channels().forwards() != null) {
            dev.writ.policy.Verdict verdict = grant.channels().forwards().check(host, port);
            if (!verdict.allowed()) {
                return refuse(session, Refusal.channel("direct-tcpip", "forward_destination_not_allowed", requested),
                        "writ: role " + role + " does not allow forwarding to " + requested);
            }
        }
        if (grant.channels().requireRecording()) {
            return refuse(session, Refusal.channel("direct-tcpip", "forward_not_recordable", requested),
                    "writ: role " + role + " requires recording, and the bastion cannot record a forwarded port");
        }
        Target destination = TARGET_ITSELF.contains(host.toLowerCase(Locale.ROOT)) ? grant.target()
                : targets.find(host).orElse(new Target(host.toLowerCase(Locale.ROOT), host, port, Map.of()));
        if (!destination.name().equals(grant.target().name()) && !check.allows(grant, destination)) {
            return refuse(session, Refusal.channel("direct-tcpip", "forwarding_destination_not_allowed", requested),
                    "writ: your roles do not allow forwarding to " + host);
        }
        String unrecordable = sessions.unrecordable(session);
        if (unrecordable != null) {
            return refuse(session, Refusal.channel("direct-tcpip", "recording_unavailable", requested), "writ: " + unrecordable);
        }
        ByteArrayBuffer payload = new ByteArrayBuffer();
        payload.putString(host);
        payload.putUInt(port);
        payload.putString(originator);
        payload.putUInt(originatorPort);
        InitiatedChannel toTarget = new InitiatedChannel("direct-tcpip", payload.getCompactData());
        Link link = Link.between(channel.end(), toTarget.end(), RequestPolicy.DATA_ONLY,
                observer(session, "direct-tcpip", Map.of("host", host, "port", Integer.toString(port))), session);
        return openOnTarget(session, toTarget, link, false);
    }

    /** {@code ssh -J}: the bastion answers as the target itself, with a host certificate for its name. */
    private CompletableFuture<ChannelSink> jump(AcceptedChannel channel, ActiveSession session, String host, int port) {
        Target target = targets.find(host).orElse(null);
        String requested = host + ":" + port;
        if (target == null) {
            return refuse(session, Refusal.channel("direct-tcpip", "unknown_target", requested), "writ: no target named " + host);
        }
        if (port != 22 && port != target.port()) {
            return refuse(session, Refusal.channel("direct-tcpip", "unknown_target", requested),
                    "writ: " + target.name() + " is reached on port 22");
        }
        if (!check.allows(session.grant(), target)) {
            return refuse(session, Refusal.channel("direct-tcpip", "target_not_allowed", target.name()),
                    "writ: your roles do not reach " + target.name());
        }
        ServerSession outer = session.downstream();
        return hostKeys.certificateFor(target)
                .handle((certificate, error) -> {
                    if (error != null) {
                        throw OpenRefusal.connectFailed("writ: no host certificate for " + target.name() + " from the CA");
                    }
                    return new JumpTransport(channel.end(), target, server.getSessionFactory(), jumpService,
                            outer.getClientAddress(), outer.getLocalAddress(), session::refused);
                });
    }

    private CompletableFuture<ChannelSink> openAgent(AcceptedChannel channel, Buffer request) {
        ClientSession upstream = (ClientSession) channel.getSession();
        ActiveSession session = upstream.getAttribute(Upstream.OWNER) instanceof ActiveSession s ? s : null;
        if (session == null) {
            return refuse("agent forwarding was not requested");
        }
        if (!session.agentForwarding() || !session.grant().permits("permit-agent-forwarding")) {
            // the target asks; it can only have been told to by the engineer's request, which was refused or never made
            return refuse(session, Refusal.channel("auth-agent@openssh.com", "target_agent_channel_not_requested", null),
                    "agent forwarding was not requested");
        }
        InitiatedChannel toClient = new InitiatedChannel("auth-agent@openssh.com", new byte[0]);
        Link link = Link.between(toClient.end(), channel.end(), RequestPolicy.DATA_ONLY,
                observer(session, "auth-agent@openssh.com", Map.of()), session);
        session.add(link, false);
        return InitiatedChannel.open(session.downstream(), toClient).thenApply(opened -> (ChannelSink) link)
                .whenComplete((opened, error) -> {
                    if (error != null) {
                        link.openFailed();
                    }
                });
    }

    private CompletableFuture<ChannelSink> openOnTarget(ActiveSession session, InitiatedChannel toTarget, Link link,
                                                        boolean terminal) {
        return session.upstream()
                .exceptionally(error -> {
                    throw OpenRefusal.connectFailed("writ: " + cause(error).getMessage());
                })
                .thenCompose(upstream -> InitiatedChannel.open(upstream, toTarget))
                .thenApply(opened -> {
                    session.add(link, terminal);
                    return (ChannelSink) link;
                })
                .whenComplete((opened, error) -> {
                    if (error != null) {
                        link.openFailed();
                    }
                });
    }

    /** The recorder's observer of a new channel of {@code session}. */
    private ChannelObserver observer(ActiveSession session, String type, Map<String, String> details) {
        Grant grant = session.grant();
        SocketAddress client = session.downstream().getClientAddress();
        ChannelInfo info = new ChannelInfo(session.id(), session.nextChannelId(), grant.identity(), grant.serialText(),
                grant.login(), grant.target() == null ? null : grant.target().name(), type, clock.instant(), details,
                client instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : String.valueOf(client),
                grant.roles(), grant.grantedRoles(), grant.recording(), grant.recordInput());
        return recorder.channelOpened(info, sessions.control(session));
    }

    /** Reports the refusal to the session (audit, metric, log) and refuses the open with {@code message}. */
    private CompletableFuture<ChannelSink> refuse(ActiveSession session, Refusal refusal, String message) {
        sessions.refused(session, refusal);
        return refuse(message);
    }

    private static CompletableFuture<ChannelSink> refuse(String message) {
        return CompletableFuture.failedFuture(OpenRefusal.prohibited(message));
    }

    private static Throwable cause(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static ChannelFactory factory(String type, AcceptedChannel.Opener opener) {
        return new ChannelFactory() {
            @Override
            public String getName() {
                return type;
            }

            @Override
            public Channel createChannel(Session session) {
                return new AcceptedChannel(type, opener);
            }
        };
    }
}
