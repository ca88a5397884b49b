package dev.writ.ca.session;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.BastionAuditEvent;
import dev.writ.protocol.api.LiveSession;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/audit/bastion}: what a bastion reports (refused logins with their reason,
 * sessions started and ended) goes into the CA's hash-chained audit log, marked with the
 * bastion's name. Only known event types, bounded sizes, printable text. Sessions started and
 * ended also keep {@link LiveSessions} current between the bastion's syncs.
 */
public final class BastionAudit {

    private static final Pattern REASON = Pattern.compile("[a-z0-9_]{1,64}");
    private static final Pattern KEY = Pattern.compile("[a-z0-9_]{1,64}");
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

    public void record(BastionRegistration bastion, BastionAuditEvent reported) throws RequestRefused, StoreException {
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
        String actor = reported.actor() == null || reported.actor().isBlank() ? "unknown" : printable(reported.actor());
        String client = reported.clientAddress() == null ? null : printable(reported.clientAddress());
        Instant now = clock.instant();
        store.audit(new AuditEvent(now, "bastion." + reported.type(), actor, outcome, client, details));
        String sessionId = reported.details().get("session_id");
        if (sessionId != null && reported.details().containsKey("target")) { // a session to a target, not a ProxyJump's outer hop
            if (reported.type().equals("session.started")) {
                live.started(bastion.name(), new LiveSession(printable(sessionId), actor, (String) details.get("login"),
                        (String) details.get("target"), client, now.toString(), (String) details.get("serial"), null));
            } else if (reported.type().equals("session.ended")) {
                live.ended(bastion.name(), printable(sessionId));
            }
        }
    }

    /** Text from the bastion (which may carry what a client typed) lands in the log as bounded printable text. */
    private static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > MAX_TEXT ? cleaned.substring(0, MAX_TEXT) + "..." : cleaned;
    }
}
