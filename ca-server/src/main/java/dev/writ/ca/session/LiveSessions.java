package dev.writ.ca.session;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.policy.Identity;
import dev.writ.protocol.api.BastionSync;
import dev.writ.protocol.api.LiveSession;
import dev.writ.protocol.api.SessionEnding;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The sessions open at the bastions, and the CA's way of telling bastions what changed.
 *
 * <p>Every bastion keeps a {@link #sync sync} open: it reports the sessions it holds and waits.
 * The CA answers as soon as there is something to say — a newer KRL (revocations end sessions
 * within a second instead of the next poll), or a session an admin {@link #end ended} — and
 * otherwise after the wait the bastion asked for. Between syncs, the bastion's
 * {@code session.started} and {@code session.ended} audit events keep the list current; a sync
 * replaces what the CA believes of that bastion (a crash loses no ended event: the next report
 * simply lacks the session). A bastion that stopped syncing is no longer listed.
 *
 * <p>All of it is in memory: after a CA restart every bastion's next sync tells it again. With
 * several CA replicas on one database, each replica tells the others ({@link ReplicaEvents}) of
 * every report, started and ended event and admin's end it receives, so that each lists every
 * bastion's sessions and an end asked at one replica reaches the bastion syncing at another.
 */
public final class LiveSessions implements AutoCloseable {

    /** The longest a sync is held open; below the HTTP server's idle timeout. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(25);
    /** How long an admin's end waits for the bastion to confirm the session closed. */
    public static final Duration CONFIRMATION = Duration.ofSeconds(10);
    /** A bastion that has not synced for this long is presumed gone, with its sessions. */
    static final Duration SILENCE = MAX_WAIT.plusSeconds(20);
    /** How long a session that started or ended by audit event outweighs a sync report sent before it. */
    static final Duration EVENT_WEIGHT = Duration.ofSeconds(60);
    /** The audit event of an admin ending a session. */
    public static final String END_EVENT = "session.ended_by_admin";
    static final int MAX_SESSIONS = 20_000;
    private static final int MAX_TEXT = 1000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e\\p{L}\\p{N}\\p{P}\\p{Zs}]+");
    private static final long KRL_CHECK_MILLIS = 250;
    private static final ObjectMapper EVENTS = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** What the CA knows of one bastion. Guarded by the enclosing instance. */
    private static final class Bastion {
        final Map<String, LiveSession> sessions = new LinkedHashMap<>();
        /** Sessions learned from a started event, with when: a report sent before it must not drop them. */
        final Map<String, Instant> startedByEvent = new HashMap<>();
        /** Sessions that ended by event, with when: a report sent before it must not bring them back. */
        final Map<String, Instant> endedByEvent = new HashMap<>();
        final Map<String, BastionSync.SessionEnd> ending = new LinkedHashMap<>();
        final Map<String, CompletableFuture<Boolean>> confirmations = new HashMap<>();
        Instant lastSync;
        long reportedKrl = -1;
        CompletableFuture<BastionSync.Answer> waiting;
    }

    private final Map<String, Bastion> bastions = new HashMap<>();
    /** The other replicas on the store; null for a CA alone. */
    private final ReplicaEvents replicas;
    private final LongSupplier krlVersion;
    private final Store store;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private long lastKrlVersion;

    public LiveSessions(LongSupplier krlVersion, Store store, Clock clock) {
        this(krlVersion, store, clock, null);
    }

    /** With {@code replicas}, tells the other CA replicas what it learns; {@link #applyReplicaEvent} takes in theirs. */
    public LiveSessions(LongSupplier krlVersion, Store store, Clock clock, ReplicaEvents replicas) {
        this.replicas = replicas;
        this.krlVersion = krlVersion;
        this.store = store;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "writ-live-sessions");
            thread.setDaemon(true);
            return thread;
        });
        this.lastKrlVersion = krlVersion.getAsLong();
        // every writer of revocations (admins, grants that end) shows in the KRL's version: watching it catches all
        timer.scheduleWithFixedDelay(this::watchKrl, KRL_CHECK_MILLIS, KRL_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * A bastion's report. The answer completes at once when the bastion's KRL is behind or one of
     * its sessions is to end, else when that happens, else after {@code wait} (at most {@link #MAX_WAIT}).
     */
    public CompletableFuture<BastionSync.Answer> sync(String bastionName, BastionSync report) {
        if (replicas != null) {
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("bastion", bastionName);
            payload.put("krl_version", report.krlVersion());
            payload.put("sessions", report.sessions());
            replicas.publish("bastion.sync", payload);
        }
        return syncHere(bastionName, report);
    }

    private synchronized CompletableFuture<BastionSync.Answer> syncHere(String bastionName, BastionSync report) {
        Bastion bastion = bastions.computeIfAbsent(bastionName, name -> new Bastion());
        Instant now = clock.instant();
        replace(bastion, bastionName, report.sessions(), now);
        bastion.lastSync = now;
        bastion.reportedKrl = report.krlVersion();
        if (bastion.waiting != null) { // a sync it gave up on: answer it, nobody reads it
            bastion.waiting.complete(answer(bastion));
        }
        try {
            lastKrlVersion = Math.max(lastKrlVersion, krlVersion.getAsLong());
        } catch (RuntimeException e) {
            // the store is unreachable: the last version seen stands, and the bastion polls GET /v1/krl meanwhile
        }
        BastionSync.Answer ready = answer(bastion);
        if (ready.krlVersion() > report.krlVersion() || !ready.end().isEmpty()) {
            bastion.waiting = null;
            return CompletableFuture.completedFuture(ready);
        }
        CompletableFuture<BastionSync.Answer> waiting = new CompletableFuture<>();
        bastion.waiting = waiting;
        long millis = Math.min(MAX_WAIT.toMillis(), Math.max(0, report.waitSeconds()) * 1000L);
        timer.schedule(() -> wake(bastion, waiting), millis, TimeUnit.MILLISECONDS);
        return waiting;
    }

    /** A {@code session.started} event from a bastion: listed now, not only at its next sync. */
    public void started(String bastionName, LiveSession session) {
        if (replicas != null) {
            replicas.publish("session.started", Map.of("bastion", bastionName, "session", session));
        }
        startedHere(bastionName, session);
    }

    private synchronized void startedHere(String bastionName, LiveSession session) {
        Bastion bastion = bastions.computeIfAbsent(bastionName, name -> new Bastion());
        forgetOldEvents(bastion, clock.instant());
        if (!bastion.endedByEvent.containsKey(session.id())) {
            bastion.sessions.put(session.id(), session.at(bastionName));
            bastion.startedByEvent.put(session.id(), clock.instant());
        }
    }

    /** A {@code session.ended} event from a bastion. */
    public void ended(String bastionName, String sessionId) {
        if (replicas != null) {
            replicas.publish("session.ended", Map.of("bastion", bastionName, "session_id", sessionId));
        }
        endedHere(bastionName, sessionId);
    }

    private synchronized void endedHere(String bastionName, String sessionId) {
        Bastion bastion = bastions.computeIfAbsent(bastionName, name -> new Bastion());
        forgetOldEvents(bastion, clock.instant());
        bastion.endedByEvent.put(sessionId, clock.instant());
        bastion.startedByEvent.remove(sessionId);
        gone(bastion, sessionId);
    }

    /** Every session at a bastion that is still syncing, oldest first. */
    public synchronized List<LiveSession> list() {
        Instant now = clock.instant();
        List<LiveSession> all = new ArrayList<>();
        for (Bastion bastion : bastions.values()) {
            if (alive(bastion, now)) {
                all.addAll(bastion.sessions.values());
            }
        }
        all.sort(Comparator.comparing(LiveSession::started, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(LiveSession::id));
        return all;
    }

    /** The session with this id at a bastion that is still syncing; null when there is none. */
    public synchronized LiveSession find(String sessionId) {
        Instant now = clock.instant();
        for (Bastion bastion : bastions.values()) {
            LiveSession session = bastion.sessions.get(sessionId);
            if (session != null && alive(bastion, now)) {
                return session;
            }
        }
        return null;
    }

    /**
     * {@code DELETE /v1/sessions/{id}}: an admin (checked by the route) ends a live session. The
     * audit event is written before the bastion hears of it. Completes once the bastion reports
     * the session closed, or after {@link #CONFIRMATION} with {@code ended: false}.
     */
    public CompletableFuture<SessionEnding> end(Identity admin, String sessionId, String reason, String client)
            throws RequestRefused, StoreException {
        if (sessionId == null || !ID.matcher(sessionId).matches()) {
            throw RequestRefused.badRequest("bad_session_id", "a session id is 1 to 64 letters, digits, '-' or '_'"
                    + " (writ sessions list shows them)");
        }
        String why = reason == null ? "" : reason.strip();
        if (why.isEmpty() || why.length() > MAX_TEXT || !PRINTABLE.matcher(why).matches()) {
            throw RequestRefused.badRequest("bad_reason", "reason is required: printable text of at most " + MAX_TEXT
                    + " characters, kept in the audit log and shown to the engineer");
        }
        LiveSession session = find(sessionId);
        if (session == null) {
            throw RequestRefused.notFound("no_such_session", "no live session " + sessionId + " (writ sessions list shows them)");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("session_id", session.id());
        details.put("bastion", session.bastion());
        details.put("identity", session.identity());
        details.put("login", session.login());
        details.put("target", session.target());
        details.put("reason", why);
        store.audit(new AuditEvent(clock.instant(), END_EVENT, admin.name(), AuditEvent.Outcome.ok, client, details));
        CompletableFuture<Boolean> confirmed = end(sessionId, admin.name(), why);
        if (replicas != null) {
            replicas.publish("session.end", Map.of("bastion", session.bastion(), "session_id", session.id(),
                    "by", admin.name(), "reason", why));
        }
        return (confirmed == null ? CompletableFuture.completedFuture(true) : confirmed)
                .thenApply(ended -> new SessionEnding(session, ended, why));
    }

    /**
     * A bastion's report, checked: ids that name sessions, bounded printable text, a sane wait.
     * The CA lists what bastions report; it never lets them write control characters into it.
     */
    public static BastionSync checked(BastionSync report) throws RequestRefused {
        if (report.sessions().size() > MAX_SESSIONS) {
            throw RequestRefused.badRequest("bad_sync", "at most " + MAX_SESSIONS + " sessions per report");
        }
        if (report.waitSeconds() < 0 || report.krlVersion() < 0) {
            throw RequestRefused.badRequest("bad_sync", "wait_seconds and krl_version must not be negative");
        }
        List<LiveSession> sessions = new ArrayList<>();
        for (LiveSession s : report.sessions()) {
            if (s.id() == null || !ID.matcher(s.id()).matches()) {
                throw RequestRefused.badRequest("bad_sync", "every session needs an id of 1 to 64 letters, digits, '-' or '_'");
            }
            sessions.add(new LiveSession(s.id(), text(s.identity()), text(s.login()), text(s.target()), text(s.clientAddress()),
                    text(s.started()), text(s.serial()), null));
        }
        return new BastionSync(report.krlVersion(), sessions, report.waitSeconds());
    }

    private static String text(String value) {
        if (value == null) {
            return null;
        }
        String cleaned = value.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 256 ? cleaned.substring(0, 256) + "..." : cleaned;
    }

    /** Tells the session's bastion; null when no live session has this id (any more). */
    private synchronized CompletableFuture<Boolean> end(String sessionId, String by, String reason) {
        LiveSession session = find(sessionId);
        if (session == null) {
            return null;
        }
        Bastion bastion = bastions.get(session.bastion());
        bastion.ending.put(sessionId, new BastionSync.SessionEnd(sessionId, by, reason));
        CompletableFuture<Boolean> confirmed = bastion.confirmations.computeIfAbsent(sessionId, id -> new CompletableFuture<>());
        if (bastion.waiting != null) {
            wake(bastion, bastion.waiting);
        }
        return confirmed.copy().completeOnTimeout(false, CONFIRMATION.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * What another replica learned ({@link ReplicaEvents}): a bastion's report, a session started
     * or ended, or an admin's end of a session, which wakes the bastion's sync if it is held here.
     */
    public synchronized void applyReplicaEvent(String kind, JsonNode payload, Instant at) {
        String name = payload.path("bastion").asText();
        if (name.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        Bastion bastion = bastions.computeIfAbsent(name, n -> new Bastion());
        switch (kind) {
            case "bastion.sync" -> {
                replace(bastion, name, List.of(EVENTS.convertValue(payload.path("sessions"), LiveSession[].class)), now);
                Instant seen = at.isAfter(now) ? now : at;
                if (bastion.lastSync == null || bastion.lastSync.isBefore(seen)) {
                    bastion.lastSync = seen;
                }
            }
            case "session.started" -> {
                forgetOldEvents(bastion, now);
                LiveSession session = EVENTS.convertValue(payload.path("session"), LiveSession.class);
                if (session.id() != null && !bastion.endedByEvent.containsKey(session.id())) {
                    bastion.sessions.put(session.id(), session.at(name));
                    bastion.startedByEvent.put(session.id(), now);
                }
            }
            case "session.ended" -> {
                String id = payload.path("session_id").asText();
                forgetOldEvents(bastion, now);
                bastion.endedByEvent.put(id, now);
                bastion.startedByEvent.remove(id);
                gone(bastion, id);
            }
            case "session.end" -> {
                String id = payload.path("session_id").asText();
                if (bastion.sessions.containsKey(id)) {
                    bastion.ending.put(id, new BastionSync.SessionEnd(id, payload.path("by").asText(),
                            payload.path("reason").asText()));
                    if (bastion.waiting != null) {
                        wake(bastion, bastion.waiting);
                    }
                }
            }
            default -> { } // written by a newer replica: not for this one
        }
    }

    /** Stops the timers. Held syncs are not answered: the HTTP server stopped first and dropped them. */
    @Override
    public synchronized void close() {
        timer.shutdownNow();
        if (replicas != null) {
            replicas.close();
        }
    }

    /** Events older than {@link #EVENT_WEIGHT} no longer outweigh reports: forgotten. */
    private static void forgetOldEvents(Bastion bastion, Instant now) {
        Instant recent = now.minus(EVENT_WEIGHT);
        bastion.startedByEvent.values().removeIf(at -> at.isBefore(recent));
        bastion.endedByEvent.values().removeIf(at -> at.isBefore(recent));
    }

    private void replace(Bastion bastion, String bastionName, List<LiveSession> reported, Instant now) {
        forgetOldEvents(bastion, now);
        Map<String, LiveSession> fresh = new LinkedHashMap<>();
        for (LiveSession session : reported) {
            if (session.id() != null && !bastion.endedByEvent.containsKey(session.id())) {
                fresh.put(session.id(), session.at(bastionName));
            }
        }
        for (Iterator<String> ids = bastion.sessions.keySet().iterator(); ids.hasNext(); ) {
            String id = ids.next();
            if (!fresh.containsKey(id) && !bastion.startedByEvent.containsKey(id)) {
                ids.remove();
                confirm(bastion, id);
            }
        }
        bastion.sessions.putAll(fresh);
    }

    private void gone(Bastion bastion, String sessionId) {
        bastion.sessions.remove(sessionId);
        confirm(bastion, sessionId);
    }

    private static void confirm(Bastion bastion, String sessionId) {
        bastion.ending.remove(sessionId);
        CompletableFuture<Boolean> confirmed = bastion.confirmations.remove(sessionId);
        if (confirmed != null) {
            confirmed.complete(true);
        }
    }

    private BastionSync.Answer answer(Bastion bastion) {
        // ends of sessions already gone are dropped: the bastion has nothing left to close
        bastion.ending.keySet().removeIf(id -> !bastion.sessions.containsKey(id));
        return new BastionSync.Answer(lastKrlVersion, List.copyOf(bastion.ending.values()));
    }

    private synchronized void wake(Bastion bastion, CompletableFuture<BastionSync.Answer> waiting) {
        if (bastion.waiting == waiting) {
            bastion.waiting = null;
        }
        waiting.complete(answer(bastion));
    }

    private void watchKrl() {
        long version;
        try {
            version = krlVersion.getAsLong();
        } catch (RuntimeException e) {
            return; // the store is unreachable: bastions keep polling GET /v1/krl meanwhile
        }
        synchronized (this) {
            if (version == lastKrlVersion) {
                return;
            }
            lastKrlVersion = version;
            for (Bastion bastion : bastions.values()) {
                if (bastion.waiting != null && bastion.reportedKrl < version) {
                    wake(bastion, bastion.waiting);
                }
            }
        }
    }

    private static boolean alive(Bastion bastion, Instant now) {
        return bastion.waiting != null || (bastion.lastSync != null && !bastion.lastSync.plus(SILENCE).isBefore(now));
    }
}
