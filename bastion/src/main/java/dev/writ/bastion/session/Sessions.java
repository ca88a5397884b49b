package dev.writ.bastion.session;

import dev.writ.bastion.auth.Connections;
import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.auth.LoginAttempts;
import dev.writ.bastion.auth.LoginGate;
import dev.writ.bastion.auth.LoginRates;
import dev.writ.bastion.auth.Verdict;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.observe.EndReason;
import dev.writ.bastion.observe.RecordingLoss;
import dev.writ.bastion.observe.SessionControl;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.relay.Link;
import dev.writ.bastion.relay.Refusal;
import dev.writ.bastion.relay.Refusals;
import dev.writ.bastion.trust.Trust;
import dev.writ.bastion.upstream.Upstream;
import dev.writ.protocol.api.LiveSession;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's live sessions: started when a connection authenticates (the concurrent-session
 * limit is checked there, the connection to the target begins), ended when either side closes,
 * and ended by the bastion when the certificate expires (after a warning five minutes before),
 * is revoked, or the session is idle longer than policy allows, or when its recording fails
 * under a strict recording mode. Every start, end and refusal goes to the CA's audit log.
 */
public final class Sessions implements SessionListener, LoginGate, Refusals {

    static final Duration EXPIRY_WARNING = Duration.ofMinutes(5);
    /** How long the end event of a session waits for its recordings to be written out. */
    static final Duration RECORDINGS_SETTLE = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final Map<Session, ActiveSession> active = new ConcurrentHashMap<>();
    private final Upstream upstream;
    private final AuditTrail audit;
    private final SessionRecorder recorder;
    private final BastionMetrics metrics;
    private final int maxPerIdentity;
    private final LoginRates rates;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public Sessions(Upstream upstream, AuditTrail audit, SessionRecorder recorder, BastionMetrics metrics, int maxPerIdentity,
                    LoginRates rates, Clock clock) {
        this.upstream = upstream;
        this.audit = audit;
        this.recorder = recorder;
        this.metrics = metrics;
        this.maxPerIdentity = maxPerIdentity;
        this.rates = rates;
        this.clock = clock;
        metrics.activeSessions(() -> active.values().stream().filter(s -> s.grant().reachesTarget()).count());
    }

    /** The live session of an authenticated connection; null otherwise. */
    ActiveSession of(Session session) {
        return active.get(session);
    }

    /**
     * Refuses a login, while it is still a login and with a banner saying why, when the engineer or
     * the address made too many logins lately, when it is over the per-engineer limit of sessions,
     * or when its roles require a recording that cannot be written now.
     */
    @Override
    public Verdict.Refused admit(Grant grant, InetAddress client) {
        Verdict.Refused tooMany = rates.peek(grant, client);
        if (tooMany != null) {
            return tooMany;
        }
        if (grant.reachesTarget() && countFor(grant.identity()) >= maxPerIdentity) {
            return new Verdict.Refused("session_limit", "writ: you already have " + maxPerIdentity + " sessions open",
                    "already " + maxPerIdentity + " sessions", grant.identity(), grant.serialText());
        }
        String unrecordable = grant.reachesTarget() ? recorder.unavailableFor(grant.recording()) : null;
        if (unrecordable != null) {
            return new Verdict.Refused("recording_unavailable", "writ: " + unrecordable,
                    "recording " + grant.recording().policyName() + " required; " + unrecordable, grant.identity(),
                    grant.serialText());
        }
        return null;
    }

    /** What the recorder of the session's channels may do: end the session, report to the audit log. */
    SessionControl control(ActiveSession session) {
        return new SessionControl() {
            @Override
            public void end(String reason, String message) {
                Sessions.this.end(session, EndReason.of(reason), message);
            }

            @Override
            public EndReason ending() {
                return session.endedByBastion();
            }

            @Override
            public void recording(CompletionStage<RecordingLoss> settled) {
                session.recording(settled);
            }
        };
    }

    /** Why a new channel of the session cannot be recorded as its roles require; null when it can. */
    String unrecordable(ActiveSession session) {
        return recorder.unavailableFor(session.grant().recording());
    }

    @Override
    public void sessionEvent(Session session, Event event) {
        if (event == Event.Authenticated && session instanceof ServerSession server) {
            start(server);
        }
    }

    @Override
    public void sessionClosed(Session session) {
        ActiveSession ended = active.remove(session);
        if (ended != null) {
            finish(ended);
            return;
        }
        LoginAttempts attempts = LoginAttempts.existing(session);
        if (attempts != null && !session.isAuthenticated() && attempts.primary() != null) {
            Verdict.Refused primary = attempts.primary();
            metrics.loginRefused(primary.reason());
            audit.loginRefused(primary, attempts.username(), session.getRemoteAddress(), attempts.all().size());
        }
    }

    private void start(ServerSession session) {
        Grant grant = Connections.grant(session);
        if (grant == null) {
            disconnectSoon(session, "writ: internal error"); // cannot happen: only our authenticator lets anyone in
            return;
        }
        ActiveSession started;
        synchronized (this) {
            InetAddress client = session.getClientAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
            Verdict.Refused tooMany = rates.take(grant, client);
            if (tooMany != null) { // two logins raced past admit(): the later one goes, as below
                metrics.loginRefused(tooMany.reason());
                audit.loginRefused(grant, session.getClientAddress(), tooMany.reason(), tooMany.detail());
                disconnectSoon(session, tooMany.message());
                return;
            }
            if (grant.reachesTarget() && countFor(grant.identity()) >= maxPerIdentity) {
                // two logins raced past admit(): the later one goes. Not from here: MINA signals
                // authentication while it writes the success packet, so anything written now would
                // overtake it; the disconnect waits a moment on another thread.
                metrics.loginRefused("session_limit");
                audit.loginRefused(grant, session.getClientAddress(), "session_limit",
                        "already " + maxPerIdentity + " sessions");
                disconnectSoon(session, "writ: you already have " + maxPerIdentity + " sessions open");
                return;
            }
            started = new ActiveSession(newId(), session, grant, clock, metrics, this::refused);
            active.put(session, started);
        }
        ActiveSession s = started;
        audit.started(s); // on disk (the audit spool) before anything reaches the target
        if (grant.reachesTarget()) {
            s.upstream(upstream.connect(grant, s.id(), s));
            s.upstream().whenComplete((target, error) -> {
                if (error != null) {
                    s.upstreamFailed(error.getMessage());
                    LOG.info("session {} of {}: cannot reach {}: {}", s.id(), grant.identity(), grant.target().name(), error.getMessage());
                } else {
                    target.addCloseFutureListener(f -> {
                        if (s.ending("target_closed")) {
                            session.close(false);
                        }
                    });
                }
            });
        }
        LOG.info("session {} started: {} {} {}@{} from {}", s.id(), grant.kind(), grant.identity(), grant.login(),
                grant.target() == null ? "-" : grant.target().name(), session.getClientAddress());
    }

    /**
     * The one place a refused channel or request goes, whoever refused it (the channel factories,
     * a channel's request policy, the connection's handlers): a log line, the refusal counter, and
     * a {@code bastion.channel.refused} audit event.
     */
    void refused(ActiveSession session, Refusal refusal) {
        metrics.channelRefused(refusal.reason());
        LOG.info("session {} of {}: refused {} {}{}: {}", session.id(), session.grant().identity(),
                refusal.asked().auditName(), printable(refusal.type()),
                refusal.requested() == null ? "" : " (" + printable(refusal.requested()) + ")", refusal.reason());
        audit.channelRefused(session, refusal);
    }

    /** A refusal at the connection level (a channel type without a factory, a global request). */
    @Override
    public void refused(Session connection, Refusal refusal) {
        ActiveSession session = active.get(connection);
        if (session != null) {
            refused(session, refusal);
            return;
        }
        // cannot happen: the connection service starts after authentication, which makes the session live
        metrics.channelRefused(refusal.reason());
        LOG.warn("refused {} {} on connection {} without a live session: {}", refusal.asked().auditName(),
                printable(refusal.type()), connection, refusal.reason());
    }

    private void finish(ActiveSession session) {
        long seconds = Duration.between(session.started(), clock.instant()).toSeconds();
        // whether the target was reached: the engineer's side may close (on the refused channel)
        // before the failure to connect is told, so the end event waits for the connection's outcome
        CompletableFuture<Boolean> unreachable = session.upstream() == null ? CompletableFuture.completedFuture(false)
                : session.upstream().handle((target, error) -> {
                    if (target != null) {
                        target.close(false);
                    } else if (error != null) {
                        session.upstreamFailed(error.getMessage());
                    }
                    return error != null;
                });
        // and it reports what the recordings lost: wait (briefly) for them to be written out
        unreachable.completeOnTimeout(false, RECORDINGS_SETTLE.toMillis(), TimeUnit.MILLISECONDS)
                .thenCombine(session.recordingsSettled().handle((settled, error) -> null)
                        .completeOnTimeout(null, RECORDINGS_SETTLE.toMillis(), TimeUnit.MILLISECONDS), (failed, settled) -> failed)
                .thenAccept(failed -> {
                    String reason = session.endReason() != null ? session.endReason()
                            : failed || session.upstreamFailure() != null ? "target_unreachable" : "closed";
                    audit.ended(session, reason, seconds);
                    LOG.info("session {} ended ({}) after {} s", session.id(), reason, seconds);
                });
    }

    /**
     * Ends sessions whose certificate was revoked or expired or that sat idle too long, and warns
     * five minutes before expiry. Runs every second and after every new revocation list.
     */
    public void enforce(Trust trust) {
        Instant now = clock.instant();
        for (ActiveSession session : List.copyOf(active.values())) {
            Grant grant = session.grant();
            if (trust.krl().revokes(grant.certificate())) {
                end(session, EndReason.of("certificate_revoked"), "writ: your certificate was revoked; the session is closed");
            } else if (!now.isBefore(grant.validBefore())) {
                end(session, EndReason.of("certificate_expired"), "writ: your certificate expired; the session is closed. Run writ login");
            } else if (grant.idleTimeout() != null && grant.reachesTarget()
                    && !now.isBefore(session.lastActivity().plus(grant.idleTimeout()))) {
                // not the outer connection of a ProxyJump: its inner session has its own activity and timeout
                end(session, EndReason.of("idle_timeout"),
                        "writ: idle for " + grant.idleTimeout().toMinutes() + " min; the session is closed");
            } else if (!session.expiryWarned() && !now.isBefore(grant.validBefore().minus(EXPIRY_WARNING))) {
                List<Link> terminals = session.terminals();
                terminals.forEach(link -> link.notice("writ: your certificate expires at " + TIME.format(grant.validBefore())
                        + "; this session will then be closed. Run writ login and reconnect."));
                session.expiryWarned(!terminals.isEmpty());
            }
        }
    }

    /** The sessions to targets open now, as the CA lists them; not those being ended (they are on their way out). */
    public List<LiveSession> live() {
        return active.values().stream().filter(s -> s.grant().reachesTarget() && s.endReason() == null).map(s -> new LiveSession(s.id(),
                s.grant().identity(), s.grant().login(), s.grant().target().name(), AuditTrail.address(s.downstream().getClientAddress()),
                s.started().toString(), s.grant().serialText(), null)).toList();
    }

    /** Ends a session an admin ended at the CA; false when no session has this id (it closed already). */
    public boolean endedByAdmin(String sessionId, String admin, String reason) {
        for (ActiveSession session : active.values()) {
            if (session.id().equals(sessionId)) {
                end(session, new EndReason("ended_by_admin", admin, reason),
                        "writ: " + printable(admin) + " ended this session: " + printable(reason));
                return true;
            }
        }
        return false;
    }

    /** Text from the CA shown on an engineer's terminal: one line, no control characters. */
    private static String printable(String text) {
        String cleaned = String.valueOf(text).replaceAll("\\p{Cntrl}", " ");
        return cleaned.length() > 200 ? cleaned.substring(0, 200) + "..." : cleaned;
    }

    private void end(ActiveSession session, EndReason why, String message) {
        if (!session.ending(why)) {
            return;
        }
        metrics.sessionEnded(why.reason());
        session.terminals().forEach(link -> link.notice(message));
        disconnect(session.downstream(), message);
    }

    private int countFor(String identity) {
        return (int) active.values().stream()
                .filter(s -> s.grant().reachesTarget() && s.grant().identity().equals(identity)).count();
    }

    /** From MINA's authentication signal: after the success packet it is still writing. */
    private static void disconnectSoon(ServerSession session, String message) {
        CompletableFuture.runAsync(() -> disconnect(session, message), CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
    }

    private static void disconnect(ServerSession session, String message) {
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, message);
        } catch (Exception e) {
            session.close(true);
        }
    }

    private String newId() {
        byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
