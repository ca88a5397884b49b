package dev.writ.ca.access;

import dev.writ.ca.store.AccessRequest;
import dev.writ.ca.store.AccessRequest.Mode;
import dev.writ.ca.store.AccessRequest.State;
import dev.writ.ca.store.AccessRequests;
import dev.writ.ca.store.AccessRequests.Changed;
import dev.writ.ca.store.AccessReview;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.webhook.Notifier;
import dev.writ.policy.Durations;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every state change of an access request tells the world: its audit events (written in the
 * change's own transaction: who, what, why, when; {@code severity: high} for break-glass), and,
 * once committed, its webhook events and, when a grant ends, the {@link GrantEndedListener}.
 */
final class AccessEvents {

    /** The actor of changes nobody asked for: expiry and grants reaching their end. */
    static final String SYSTEM = "writ";

    private static final Logger LOG = LoggerFactory.getLogger(AccessEvents.class);

    private final AccessRequests requests;
    private final Notifier notifier;
    private final GrantEndedListener listener;
    private final Clock clock;

    AccessEvents(AccessRequests requests, Notifier notifier, GrantEndedListener listener, Clock clock) {
        this.requests = requests;
        this.notifier = notifier;
        this.listener = listener;
        this.clock = clock;
    }

    // ---- audit events, inside the change's transaction

    /** A new request; when granted at once, its approval as well. */
    List<AuditEvent> requested(AccessRequest r, String client) {
        Map<String, Object> details = details(r);
        put(details, "reason", r.reason());
        details.put("duration", Durations.format(r.duration()));
        put(details, "start_at", r.startAt());
        details.put("decision", r.decisionReason());
        if (r.state() == State.pending) {
            details.put("approvals_required", r.approvalsRequired());
            details.put("expires_at", r.expiresAt().toString());
        }
        List<AuditEvent> events = new ArrayList<>();
        events.add(event(r, "access.requested", r.requester(), client, details));
        if (r.state() == State.approved) {
            events.add(approved(r, r.requester(), client, r.decisionReason()));
        }
        return events;
    }

    /** A review, and the approval or denial it brought. */
    List<AuditEvent> reviewed(Changed c, AccessReview review, String client) {
        AccessRequest r = c.after();
        Map<String, Object> details = details(r);
        details.put("decision", review.decision());
        put(details, "comment", review.comment());
        details.put("approvals", c.approvals());
        details.put("approvals_required", r.approvalsRequired());
        List<AuditEvent> events = new ArrayList<>();
        events.add(event(r, "access.reviewed", review.reviewer(), client, details));
        if (c.changedState() && r.state() == State.approved) {
            events.add(approved(r, review.reviewer(), client, "approved by " + c.approvals() + " of "
                    + r.approvalsRequired() + " required approvals"));
        } else if (c.changedState() && r.state() == State.denied) {
            Map<String, Object> denied = details(r);
            denied.put("why", r.endReason());
            put(denied, "comment", review.comment());
            events.add(event(r, "access.denied", review.reviewer(), client, denied));
        }
        return events;
    }

    /** Withdrawn, expired or ended: {@code actor} is who did it, or {@link #SYSTEM}. */
    List<AuditEvent> closed(Changed c, String actor, String client) {
        AccessRequest r = c.after();
        Map<String, Object> details = details(r);
        details.put("why", r.endReason());
        String type = switch (r.state()) {
            case withdrawn -> "access.withdrawn";
            case expired -> "access.expired";
            case ended -> "access.ended";
            default -> throw new IllegalStateException("not a closing state: " + r.state());
        };
        if (r.state() == State.ended) {
            details.put("grant_start", r.grantStart().toString());
            details.put("grant_end", r.grantEnd().toString());
            details.put("serials", c.serials().stream().map(Serials::format).toList());
        }
        return List.of(event(r, type, actor, client, details));
    }

    private AuditEvent approved(AccessRequest r, String actor, String client, String why) {
        Map<String, Object> details = details(r);
        details.put("why", why);
        details.put("grant_start", r.grantStart().toString());
        details.put("grant_end", r.grantEnd().toString());
        return event(r, "access.approved", actor, client, details);
    }

    private static Map<String, Object> details(AccessRequest r) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("request_id", r.id());
        details.put("role", r.role());
        details.put("requester", r.requester());
        details.put("state", r.state().name());
        details.put("mode", r.mode().name());
        details.put("severity", severity(r));
        return details;
    }

    private AuditEvent event(AccessRequest r, String type, String actor, String client, Map<String, Object> details) {
        return new AuditEvent(clock.instant(), type, actor, AuditEvent.Outcome.ok, client, details);
    }

    private static void put(Map<String, Object> details, String key, Object value) {
        if (value != null) {
            details.put(key, value.toString());
        }
    }

    static String severity(AccessRequest r) {
        return r.mode() == Mode.break_glass ? "high" : "info";
    }

    // ---- after the commit

    /** Webhooks for a new request: created; approved when granted at once; break_glass. */
    void announceCreated(AccessRequest r) {
        publish("request.created", r);
        if (r.state() == State.approved) {
            publish("request.approved", r);
        }
        if (r.mode() == Mode.break_glass) {
            publish("break_glass", r);
        }
    }

    /** Webhooks for a committed change, and the listener when it ended a grant. */
    void announce(Changed c) {
        if (!c.changedState()) {
            return;
        }
        AccessRequest r = c.after();
        switch (r.state()) {
            case approved -> publish("request.approved", r);
            case denied -> publish("request.denied", r);
            case expired -> publish("request.expired", r);
            case ended -> {
                try {
                    listener.grantEnded(r.id(), c.serials(), r.endReason());
                } catch (RuntimeException e) {
                    LOG.error("the grant-ended listener failed for grant {}: {}", r.id(), e.toString());
                }
            }
            default -> { }
        }
    }

    private void publish(String event, AccessRequest r) {
        try {
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("event", event);
            payload.put("at", clock.instant().toString());
            payload.put("severity", severity(r));
            payload.put("request", AccessViews.render(r, requests.reviews(r.id()), clock.instant(), null));
            notifier.publish(event, payload);
        } catch (StoreException | RuntimeException e) {
            LOG.error("cannot announce {} of access request {}: {}", event, r.id(), e.toString());
        }
    }
}
