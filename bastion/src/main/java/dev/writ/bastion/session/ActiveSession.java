package dev.writ.bastion.session;

import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.observe.Direction;
import dev.writ.bastion.observe.EndReason;
import dev.writ.bastion.observe.RecordingLoss;
import dev.writ.bastion.relay.Link;
import dev.writ.bastion.relay.LinkEvents;
import dev.writ.bastion.relay.Refusal;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.server.session.ServerSession;

/**
 * One authenticated connection the bastion serves: the engineer's session, its grant, the
 * connection to the target (none on the outer connection of a ProxyJump), its relayed channels,
 * and what enforcement needs (last activity, whether the expiry warning went out).
 */
final class ActiveSession implements LinkEvents {

    /** Where refused requests of the session's channels are reported (audit, metrics, log). */
    @FunctionalInterface
    interface Refusals {
        void refused(ActiveSession session, Refusal refusal);
    }

    private final String id;
    private final ServerSession downstream;
    private final Grant grant;
    private final Clock clock;
    private final BastionMetrics metrics;
    private final Refusals refusals;
    private final Instant started;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Set<Link> terminals = ConcurrentHashMap.newKeySet();
    private final AtomicLong channelIds = new AtomicLong();
    private final AtomicLong bytesToTarget = new AtomicLong();
    private final AtomicLong bytesToClient = new AtomicLong();
    private final Set<CompletableFuture<?>> recordings = ConcurrentHashMap.newKeySet();
    private final AtomicReference<RecordingLoss> recordingLoss = new AtomicReference<>(RecordingLoss.NONE);
    private volatile CompletableFuture<ClientSession> upstream;
    private volatile Instant lastActivity;
    private volatile boolean expiryWarned;
    private volatile boolean agentForwarding;
    private volatile String endReason;
    private volatile EndReason endedByBastion;
    private volatile String upstreamFailure;

    ActiveSession(String id, ServerSession downstream, Grant grant, Clock clock, BastionMetrics metrics,
                  Refusals refusals) {
        this.id = id;
        this.downstream = downstream;
        this.grant = grant;
        this.clock = clock;
        this.metrics = metrics;
        this.refusals = refusals;
        this.started = clock.instant();
        this.lastActivity = started;
    }

    String id() {
        return id;
    }

    ServerSession downstream() {
        return downstream;
    }

    Grant grant() {
        return grant;
    }

    Instant started() {
        return started;
    }

    CompletableFuture<ClientSession> upstream() {
        return upstream;
    }

    void upstream(CompletableFuture<ClientSession> connecting) {
        this.upstream = connecting;
    }

    long nextChannelId() {
        return channelIds.incrementAndGet();
    }

    /** Registers a relayed channel; {@code terminal}: a session channel, where notices may be written. */
    void add(Link link, boolean terminal) {
        links.add(link);
        if (terminal) {
            terminals.add(link);
        }
    }

    List<Link> terminals() {
        return List.copyOf(terminals);
    }

    Instant lastActivity() {
        return lastActivity;
    }

    boolean expiryWarned() {
        return expiryWarned;
    }

    void expiryWarned(boolean warned) {
        this.expiryWarned = warned;
    }

    boolean agentForwarding() {
        return agentForwarding;
    }

    void agentForwardingRequested() {
        agentForwarding = true;
    }

    String endReason() {
        return endReason;
    }

    /** The first reason to end the session wins; returns whether this one did. */
    synchronized boolean ending(String reason) {
        if (endReason != null) {
            return false;
        }
        endReason = reason;
        return true;
    }

    /** The bastion ends the session; as {@link #ending(String)}, and its channels' recordings will say why. */
    synchronized boolean ending(EndReason why) {
        if (!ending(why.reason())) {
            return false;
        }
        endedByBastion = why;
        return true;
    }

    /** Why the bastion ended the session; null while it has not (or a side closed it). */
    EndReason endedByBastion() {
        return endedByBastion;
    }

    /** The target could not be reached (the engineer learns it from the refused channel). */
    void upstreamFailed(String why) {
        upstreamFailure = why;
    }

    String upstreamFailure() {
        return upstreamFailure;
    }

    long bytesToTarget() {
        return bytesToTarget.get();
    }

    long bytesToClient() {
        return bytesToClient.get();
    }

    /** A channel's recording, until it is settled; what it lost adds up into the session's end event. */
    void recording(CompletionStage<RecordingLoss> settled) {
        // counted before it completes, so that whoever waits for it sees the count
        CompletableFuture<Void> pending = settled.toCompletableFuture().handle((loss, error) -> {
            if (loss != null) {
                recordingLoss.accumulateAndGet(loss, RecordingLoss::plus);
            }
            return null;
        });
        recordings.add(pending);
        pending.thenRun(() -> recordings.remove(pending));
    }

    /** Completes once every channel's recording is settled (failed ones included). */
    CompletableFuture<Void> recordingsSettled() {
        return CompletableFuture.allOf(recordings.toArray(CompletableFuture[]::new));
    }

    RecordingLoss recordingLoss() {
        return recordingLoss.get();
    }

    @Override
    public void relayed(Direction direction, int bytes) {
        lastActivity = clock.instant();
        (direction == Direction.TO_TARGET ? bytesToTarget : bytesToClient).addAndGet(bytes);
        metrics.relayed(direction, bytes);
    }

    @Override
    public void refused(Refusal refusal) {
        refusals.refused(this, refusal);
    }

    @Override
    public void closed(Link link) {
        links.remove(link);
        terminals.remove(link);
    }
}
