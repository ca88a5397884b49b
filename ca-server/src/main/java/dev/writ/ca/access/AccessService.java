package dev.writ.ca.access;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AccessConflict;
import dev.writ.ca.store.AccessRequest;
import dev.writ.ca.store.AccessRequest.Mode;
import dev.writ.ca.store.AccessRequest.State;
import dev.writ.ca.store.AccessRequests;
import dev.writ.ca.store.AccessRequests.Changed;
import dev.writ.ca.store.AccessReview;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.webhook.Notifier;
import dev.writ.policy.Durations;
import dev.writ.policy.Identity;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.policy.RequestDecision;
import dev.writ.policy.Verdict;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.NewAccessRequest;
import dev.writ.protocol.api.NewReview;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Just-in-time access: {@code /v1/access-requests}. Each operation is a short pipeline: parse
 * what the client sent (untrusted) → bring expired requests and ended grants up to date → let the
 * policy decide → record the change with its audit events in one transaction → announce it
 * (webhooks, the grant-ended listener). The policy decides who may do what; the store decides
 * whether the change still applies.
 */
public final class AccessService implements ActiveGrants, AutoCloseable {

    static final int MAX_TEXT = 1000;
    static final int MAX_LIST = 1000;
    /** How far ahead a request may ask its grant to start. */
    static final Duration MAX_START_AHEAD = Duration.ofDays(7);

    private final Supplier<Policy> policy;
    private final AccessRequests requests;
    private final Clock clock;
    private final AccessEvents events;
    private final AccessSweeper sweeper;
    private final SecureRandom random = new SecureRandom();

    public AccessService(Supplier<Policy> policy, Store store, Clock clock, Notifier notifier, GrantEndedListener listener) {
        this.policy = policy;
        this.requests = store.accessRequests();
        this.clock = clock;
        this.events = new AccessEvents(requests, notifier, listener, clock);
        this.sweeper = new AccessSweeper(requests, events, clock);
        this.sweeper.start();
    }

    /** {@code POST /v1/access-requests}: pending, or approved at once (auto-approval, break-glass). */
    public AccessRequestView create(Identity requester, NewAccessRequest requested, String client)
            throws RequestRefused, StoreException {
        // 1. parse what the client sent (untrusted)
        String role = required(requested.role(), "role");
        if (role.length() > 64) {
            throw RequestRefused.badRequest("unknown_role", "unknown role '" + printable(role) + "'");
        }
        String reason = text(requested.reason(), "reason");
        Duration duration = duration(requested.duration());
        Instant now = clock.instant();
        Instant startAt = startAt(requested.startAt(), now);
        // 2. the policy decides: refused, waiting for approvers, or granted at once
        RequestDecision decision = policy.get().requestDecision(requester, role, duration, reason, now);
        if (!decision.accepted()) {
            throw refusal(decision);
        }
        Mode mode = switch (decision.outcome()) {
            case AUTO_APPROVED -> Mode.auto;
            case BREAK_GLASS -> Mode.break_glass;
            default -> Mode.review;
        };
        Duration waits = decision.pendingTtl() == null ? Duration.ZERO : decision.pendingTtl();
        AccessRequest request = AccessRequest.pending(newId(), requester.name(), requester.issuer(), requester.subject(),
                requester.email(), role, reason, decision.duration(), startAt, mode, decision.approvalsRequired(),
                decision.reason(), now, waits);
        if (decision.grantedAtOnce()) {
            request = request.approve(now);
        }
        // 3. record it with its audit events, then announce it
        try {
            requests.create(request, events.requested(request, client));
        } catch (AccessConflict e) {
            throw refused(e);
        }
        events.announceCreated(request);
        return AccessViews.render(request, List.of(), now, false);
    }

    /** {@code GET /v1/access-requests}: the caller's own, those they may review, and all for auditors. */
    public List<AccessRequestView> list(Identity caller, String state, boolean mine, int limit)
            throws RequestRefused, StoreException {
        State wanted = state(state);
        sweeper.sweep();
        Instant now = clock.instant();
        List<AccessRequest> candidates = mine
                ? requests.list(wanted, caller.issuer(), caller.subject(), limit)
                : requests.list(wanted, null, null, MAX_LIST);
        boolean auditor = policy.get().isAuditor(caller);
        List<AccessRequestView> views = new ArrayList<>();
        for (AccessRequest r : candidates) {
            if (views.size() < limit && (isRequester(caller, r) || auditor
                    || policy.get().mayApprove(caller, r.role(), requester(r)).allowed())) {
                views.add(AccessViews.render(r, requests.reviews(r.id()), now, mayReview(caller, r)));
            }
        }
        return views;
    }

    /** {@code GET /v1/access-requests/{id}}: 404 for requests the caller may not see. */
    public AccessRequestView get(Identity caller, String id) throws RequestRefused, StoreException {
        sweeper.sweep();
        AccessRequest r = find(id);
        if (!isRequester(caller, r) && !policy.get().isAuditor(caller)
                && !policy.get().mayApprove(caller, r.role(), requester(r)).allowed()) {
            throw RequestRefused.notFound("not_found", "no access request '" + printable(id) + "'");
        }
        return AccessViews.render(r, requests.reviews(id), clock.instant(), mayReview(caller, r));
    }

    /** {@code POST /v1/access-requests/{id}/reviews}: never by the requester; counts distinct approvals. */
    public AccessRequestView review(Identity reviewer, String id, NewReview body, String client)
            throws RequestRefused, StoreException {
        // 1. parse
        String decision = required(body.decision(), "decision");
        if (!decision.equals(NewReview.APPROVE) && !decision.equals(NewReview.DENY)) {
            throw RequestRefused.badRequest("bad_decision", "decision must be approve or deny");
        }
        String comment = text(body.comment(), "comment");
        // 2. up to date, then the policy decides who may review
        sweeper.sweep();
        AccessRequest request = find(id);
        Verdict verdict = policy.get().mayApprove(reviewer, request.role(), requester(request));
        if (!verdict.allowed()) {
            throw RequestRefused.forbidden("review_not_allowed", verdict.reason());
        }
        // 3. the store counts approvals and decides the state in one transaction
        AccessReview review = new AccessReview(request.id(), reviewer.name(), reviewer.issuer(), reviewer.subject(),
                reviewer.email(), decision.equals(NewReview.APPROVE), comment, clock.instant());
        Changed changed;
        try {
            changed = requests.review(review, c -> events.reviewed(c, review, client));
        } catch (AccessConflict e) {
            throw refused(e);
        }
        events.announce(changed);
        return AccessViews.render(changed.after(), requests.reviews(id), clock.instant(), false);
    }

    /**
     * {@code DELETE /v1/access-requests/{id}}: the requester withdraws a pending request; the
     * requester or an approver of the role ends an approved grant early.
     */
    public AccessRequestView drop(Identity caller, String id, String client) throws RequestRefused, StoreException {
        sweeper.sweep();
        AccessRequest request = find(id);
        boolean isRequester = isRequester(caller, request);
        Instant now = clock.instant();
        AccessRequests.Change change;
        if (request.state() == State.pending) {
            if (!isRequester) {
                throw RequestRefused.forbidden("not_requester", "only the requester may withdraw a pending request;"
                        + " approvers deny it instead");
            }
            change = current -> expect(current, State.pending).withdraw(now, "withdrawn by " + caller.name());
        } else if (request.state() == State.approved) {
            if (!isRequester && !policy.get().mayApprove(caller, request.role(), requester(request)).allowed()) {
                throw RequestRefused.forbidden("not_allowed", "only the requester or an approver of role '"
                        + request.role() + "' may end this grant");
            }
            change = current -> expect(current, State.approved).end(now, "ended early by " + caller.name());
        } else {
            throw RequestRefused.conflict("conflict", "access request " + request.id() + " is " + request.state()
                    + "; only a pending request or an approved grant can be dropped");
        }
        Changed changed;
        try {
            changed = requests.change(id, change, c -> events.closed(c, caller.name(), client));
        } catch (AccessConflict e) {
            throw refused(e);
        }
        events.announce(changed);
        return AccessViews.render(changed.after(), requests.reviews(id), now, false);
    }

    /**
     * Ends an approved grant because an admin revoked it ({@code POST /v1/revocations}): told to
     * the grant-ended listener like any other end. False when the grant was not in force (it
     * ended already, or was never approved).
     */
    public boolean endRevoked(String id, String admin, String reason, String client) throws StoreException {
        sweeper.sweep();
        Instant now = clock.instant();
        Changed changed;
        try {
            changed = requests.change(id, current -> expect(current, State.approved)
                    .end(now, "revoked by " + admin + ": " + reason), c -> events.closed(c, admin, client));
        } catch (AccessConflict notInForce) {
            return false;
        }
        events.announce(changed);
        return true;
    }

    /** The grants in force for a person: what {@code POST /v1/certs/user} adds to their roles. */
    @Override
    public List<Grant> of(Identity identity, Instant now) throws StoreException {
        return requests.active(identity.issuer(), identity.subject(), now).stream()
                .map(r -> new Grant(r.id(), r.role(), r.grantEnd())).toList();
    }

    /** Brings expired requests and ended grants up to date now (also done every few seconds). */
    public int sweep() throws StoreException {
        return sweeper.sweep();
    }

    @Override
    public void close() {
        sweeper.close();
    }

    // ---- pieces

    private AccessRequest find(String id) throws RequestRefused, StoreException {
        if (id == null || id.isEmpty() || id.length() > 64) {
            throw RequestRefused.notFound("not_found", "no access request '" + printable(String.valueOf(id)) + "'");
        }
        return requests.find(id).orElseThrow(() -> RequestRefused.notFound("not_found",
                "no access request '" + printable(id) + "'"));
    }

    private boolean mayReview(Identity caller, AccessRequest r) {
        return r.state() == State.pending && policy.get().mayApprove(caller, r.role(), requester(r)).allowed();
    }

    private static boolean isRequester(Identity caller, AccessRequest r) {
        return caller.issuer().equals(r.requesterIssuer()) && caller.subject().equals(r.requesterSubject());
    }

    /** The requester as the policy compares people: issuer, subject, email. */
    private static Identity requester(AccessRequest r) {
        return new Identity(r.requesterIssuer(), r.requesterSubject(), r.requesterEmail(), List.of(), Map.of());
    }

    private static AccessRequest expect(AccessRequest current, State state) throws AccessConflict {
        if (current.state() != state) {
            throw AccessConflict.conflict("access request " + current.id() + " is " + current.state() + ", not " + state);
        }
        return current;
    }

    /** 128 random bits, base64url; never starting with '-', which a command line would read as an option. */
    private String newId() {
        byte[] bytes = new byte[16];
        String id;
        do {
            random.nextBytes(bytes);
            id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        } while (id.startsWith("-"));
        return id;
    }

    private static RequestRefused refusal(RequestDecision decision) {
        String detail = decision.reason();
        return switch (decision.refusal()) {
            case UNKNOWN_ROLE -> RequestRefused.badRequest("unknown_role", detail);
            case NOT_REQUESTABLE -> RequestRefused.forbidden("not_requestable", detail);
            case NOT_A_REQUESTER -> RequestRefused.forbidden("not_a_requester", detail);
            case DENIED -> RequestRefused.forbidden("policy_denied", detail);
            case REASON_REQUIRED -> RequestRefused.badRequest("reason_required", detail);
            case DURATION_ABOVE_MAX -> RequestRefused.badRequest("duration_above_max", detail);
        };
    }

    private static RequestRefused refused(AccessConflict e) {
        return e.kind() == AccessConflict.Kind.NOT_FOUND
                ? RequestRefused.notFound("not_found", e.getMessage())
                : RequestRefused.conflict("conflict", e.getMessage());
    }

    private static State state(String text) throws RequestRefused {
        if (text == null) {
            return null;
        }
        try {
            return State.valueOf(text);
        } catch (IllegalArgumentException e) {
            throw RequestRefused.badRequest("bad_state", "state must be one of " + Arrays.stream(State.values())
                    .map(State::name).collect(Collectors.joining(", ")));
        }
    }

    private static String required(String value, String field) throws RequestRefused {
        if (value == null || value.isBlank()) {
            throw RequestRefused.badRequest("missing_" + field, field + " is missing");
        }
        return text(value, field);
    }

    /** Optional free text: trimmed, empty is absent, at most {@link #MAX_TEXT} characters, no control characters. */
    private static String text(String value, String field) throws RequestRefused {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.strip();
        if (text.length() > MAX_TEXT) {
            throw RequestRefused.badRequest("bad_" + field, field + " is longer than " + MAX_TEXT + " characters");
        }
        if (text.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw RequestRefused.badRequest("bad_" + field, field + " must be one line without control characters");
        }
        return text;
    }

    private static Duration duration(String requested) throws RequestRefused {
        if (requested == null) {
            return null;
        }
        return Durations.parse(requested).orElseThrow(() -> RequestRefused.badRequest("bad_duration",
                "duration '" + printable(requested) + "' is not a positive duration such as 30m, 8h or 1h30m"));
    }

    /** The requested start; null when absent or already past (the grant then starts at approval). */
    private static Instant startAt(String requested, Instant now) throws RequestRefused {
        if (requested == null) {
            return null;
        }
        Instant start;
        try {
            start = OffsetDateTime.parse(requested).toInstant();
        } catch (DateTimeParseException e) {
            throw RequestRefused.badRequest("bad_start_at", "start_at '" + printable(requested)
                    + "' is not an RFC 3339 time such as 2026-11-18T09:00:00Z");
        }
        if (start.isAfter(now.plus(MAX_START_AHEAD))) {
            throw RequestRefused.badRequest("bad_start_at", "start_at is more than "
                    + Durations.format(MAX_START_AHEAD) + " ahead");
        }
        return start.isAfter(now) ? start : null;
    }

    /** Echoes client text in a message only as short printable ASCII. */
    static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
