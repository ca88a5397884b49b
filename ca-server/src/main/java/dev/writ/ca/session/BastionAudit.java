package dev.writ.ca.session;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.BastionEventId;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.BastionAuditBatch;
import dev.writ.protocol.api.BastionAuditEvent;
import dev.writ.protocol.api.LiveSession;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/audit/bastion} and {@code /v1/audit/bastion/batch}: what a bastion reports
 * (refused logins with their reason, sessions started and ended) goes into the CA's hash-chained
 * audit log, marked with the bastion's name. Only known event types, bounded sizes, printable
 * text. An event with an id ({@code <bastion>:<stream>:<seq>}, from the bastion's audit spool) is
 * stored once: sent again, it is skipped. Sessions started and ended also keep
 * {@link LiveSessions} current between the bastion's syncs.
 */
public final class BastionAudit {

    private static final Pattern REASON = Pattern.compile("[a-z0-9_]{1,64}");
    private static final Pattern KEY = Pattern.compile("[a-z0-9_]{1,64}");
    /** {@code <bastion>:<stream>:<seq>}; the bastion part is checked against who sent it. */
    private static final Pattern ID = Pattern.compile("(.{1,64}):([a-z0-9]{1,32}):([1-9][0-9]{0,17})");
    private static final int MAX_DETAILS = 32;
    private static final int MAX_TEXT = 1024;

    private final Store store;
    private final LiveSessions live;
    private final Clock clock;

    public BastionAudit(Store store, LiveSessions live, Clock clock) {
        this.store = store;
        this.live = live;
        this.clock = clock;
    }

    /** One event, alone. */
    public void record(BastionRegistration bastion, BastionAuditEvent reported) throws RequestRefused, StoreException {
        record(bastion, List.of(reported), "");
    }

    /** A spool's batch: every event checked first, then the new ones stored in one transaction, in order. */
    public BastionAuditBatch.Answer record(BastionRegistration bastion, BastionAuditBatch batch)
            throws RequestRefused, StoreException {
        if (batch.events().isEmpty() || batch.events().size() > BastionAuditBatch.MAX_EVENTS) {
            throw RequestRefused.badRequest("bad_event", "events must hold 1 to " + BastionAuditBatch.MAX_EVENTS + " events");
        }
        int stored = record(bastion, batch.events(), "events[%d]: ");
        return new BastionAuditBatch.Answer(stored, batch.events().size() - stored);
    }

    /** Returns how many events were new; {@code where} prefixes a problem's detail with the event's index. */
    private int record(BastionRegistration bastion, List<BastionAuditEvent> reported, String where)
            throws RequestRefused, StoreException {
        Instant now = clock.instant();
        List<Store.ReportedEvent> events = new ArrayList<>(reported.size());
        for (int i = 0; i < reported.size(); i++) {
            try {
                events.add(checked(bastion, reported.get(i), now));
            } catch (RequestRefused e) {
                throw RequestRefused.badRequest(e.reason(), where.formatted(i) + e.detail());
            }
        }
        List<Boolean> stored = store.auditOnce(events);
        int count = 0;
        for (int i = 0; i < events.size(); i++) {
            if (stored.get(i)) {
                count++;
                keepLive(bastion, reported.get(i), events.get(i).event());
            }
        }
        return count;
    }

    private static Store.ReportedEvent checked(BastionRegistration bastion, BastionAuditEvent reported, Instant now)
            throws RequestRefused {
        if (reported == null) {
            throw RequestRefused.badRequest("bad_event", "an event must be an object");
        }
        if (reported.type() == null || !BastionAuditEvent.TYPES.contains(reported.type())) {
            throw RequestRefused.badRequest("bad_event", "type must be one of " + new TreeSet<>(BastionAuditEvent.TYPES));
        }
        AuditEvent.Outcome outcome;
        try {
            outcome = AuditEvent.Outcome.valueOf(String.valueOf(reported.outcome()));
        } catch (IllegalArgumentException e) {
            throw RequestRefused.badRequest("bad_event", "outcome must be ok, refused or error");
        }
        if (reported.reason() != null && !REASON.matcher(reported.reason()).matches()) {
            throw RequestRefused.badRequest("bad_event", "reason must be a short snake_case word");
        }
        if (reported.details().size() > MAX_DETAILS) {
            throw RequestRefused.badRequest("bad_event", "at most " + MAX_DETAILS + " details");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : reported.details().entrySet()) {
            if (!KEY.matcher(entry.getKey()).matches() || entry.getValue() == null) {
                throw RequestRefused.badRequest("bad_event", "detail names must be snake_case words with a value");
            }
            details.put(entry.getKey(), printable(entry.getValue()));
        }
        details.put("bastion", bastion.name());
        if (reported.reason() != null) {
            details.put("reason", reported.reason());
        }
        BastionEventId id = id(bastion, reported.id());
        if (id != null) {
            details.put("event_id", id.toString());
            details.put("bastion_seq", id.seq());
        }
        if (reported.at() != null) {
            details.put("occurred_at", occurredAt(reported.at()).toString());
        }
        String actor = reported.actor() == null || reported.actor().isBlank() ? "unknown" : printable(reported.actor());
        String client = reported.clientAddress() == null ? null : printable(reported.clientAddress());
        return new Store.ReportedEvent(id, new AuditEvent(now, "bastion." + reported.type(), actor, outcome, client, details));
    }

    /** The event's id, which must carry the name of the bastion that sends it; null when it has none. */
    private static BastionEventId id(BastionRegistration bastion, String text) throws RequestRefused {
        if (text == null) {
            return null;
        }
        Matcher id = ID.matcher(text);
        if (!id.matches()) {
            throw RequestRefused.badRequest("bad_event", "id must be <bastion>:<stream>:<seq> (stream: 1 to 32 lower-case "
                    + "letters and digits, seq: a positive number)");
        }
        if (!id.group(1).equals(bastion.name())) {
            throw RequestRefused.badRequest("bad_event", "id must start with this bastion's name, " + bastion.name() + ":");
        }
        return new BastionEventId(bastion.name(), id.group(2), Long.parseLong(id.group(3)));
    }

    private static Instant occurredAt(String text) throws RequestRefused {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw RequestRefused.badRequest("bad_event", "at must be an ISO-8601 time such as 2026-01-31T09:30:00Z");
        }
    }

    /** A session to a target (not a ProxyJump's outer hop) started or ended: {@link LiveSessions} hears of it. */
    private void keepLive(BastionRegistration bastion, BastionAuditEvent reported, AuditEvent event) {
        String sessionId = reported.details().get("session_id");
        if (sessionId == null || !reported.details().containsKey("target")) {
            return;
        }
        Map<String, Object> details = event.details();
        if (reported.type().equals("session.started")) {
            live.started(bastion.name(), new LiveSession(printable(sessionId), event.actor(), (String) details.get("login"),
                    (String) details.get("target"), event.clientAddress(), (String) details.getOrDefault("occurred_at",
                    event.at().toString()), (String) details.get("serial"),
                    null));
        } else if (reported.type().equals("session.ended")) {
            live.ended(bastion.name(), printable(sessionId));
        }
    }

    /** Text from the bastion (which may carry what a client typed) lands in the log as bounded printable text. */
    private static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > MAX_TEXT ? cleaned.substring(0, MAX_TEXT) + "..." : cleaned;
    }
}
