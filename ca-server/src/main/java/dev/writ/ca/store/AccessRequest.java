package dev.writ.ca.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A request for a requestable role, and once approved the access grant it became. Immutable: a
 * state change makes a new value ({@link #approve}, {@link #end}, ...), which the store writes
 * only if the stored row is still in the state the change started from.
 *
 * @param requester        the requester's name (email, else subject), for people and logs
 * @param requesterEmail   their verified email, or null; with issuer and subject it tells people apart
 * @param reason           the requester's justification; may be null when the role requires none
 * @param startAt          the requested earliest start, or null for "at approval"
 * @param approvalsRequired distinct approvals needed; 0 when granted at once
 * @param decisionReason   the policy's reason when the request was made, e.g. "waiting for 1 approval"
 * @param expiresAt        when a pending request expires
 * @param grantStart       when the grant starts: at approval, or at {@code startAt} if later; null until approved
 * @param grantEnd         {@code grantStart + duration}, or earlier when ended early; null until approved
 * @param endReason        why it ended, expired or was withdrawn; null while open
 */
public record AccessRequest(String id, String requester, String requesterIssuer, String requesterSubject,
                            String requesterEmail, String role, String reason, Duration duration, Instant startAt,
                            State state, Mode mode, int approvalsRequired, String decisionReason, Instant createdAt,
                            Instant expiresAt, Instant decidedAt, Instant grantStart, Instant grantEnd, Instant endedAt,
                            String endReason) {

    public enum State {
        pending, approved, denied, expired, withdrawn, ended;

        public static State parse(String text) {
            return valueOf(text.toLowerCase(Locale.ROOT));
        }
    }

    /** How the request is decided: by approvers, by an auto-approval condition, or at once as break-glass. */
    public enum Mode { review, auto, break_glass }

    public AccessRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(requester, "requester");
        Objects.requireNonNull(requesterIssuer, "requesterIssuer");
        Objects.requireNonNull(requesterSubject, "requesterSubject");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(decisionReason, "decisionReason");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        boolean granted = state == State.approved || state == State.ended;
        if (granted != (grantStart != null && grantEnd != null)) {
            throw new IllegalArgumentException("an approved or ended request has a grant window, others none");
        }
    }

    /** A new pending request. */
    public static AccessRequest pending(String id, String requester, String issuer, String subject, String email,
                                        String role, String reason, Duration duration, Instant startAt, Mode mode,
                                        int approvalsRequired, String decisionReason, Instant now, Duration pendingTtl) {
        Instant waitFrom = startAt != null && startAt.isAfter(now) ? startAt : now;
        return new AccessRequest(id, requester, issuer, subject, email, role, reason, duration, startAt, State.pending,
                mode, approvalsRequired, decisionReason, now, waitFrom.plus(pendingTtl), null, null, null, null, null);
    }

    /** Approved at {@code now}: the grant's clock starts now, or at the requested start if that is later. */
    public AccessRequest approve(Instant now) {
        requireState(State.pending);
        Instant start = startAt != null && startAt.isAfter(now) ? startAt : now;
        return new AccessRequest(id, requester, requesterIssuer, requesterSubject, requesterEmail, role, reason, duration,
                startAt, State.approved, mode, approvalsRequired, decisionReason, createdAt, expiresAt, now, start,
                start.plus(duration), null, null);
    }

    public AccessRequest deny(Instant now, String why) {
        requireState(State.pending);
        return closed(State.denied, now, why, now);
    }

    public AccessRequest expire(Instant now) {
        requireState(State.pending);
        return closed(State.expired, now, "no decision within the time a request waits", decidedAt);
    }

    public AccessRequest withdraw(Instant now, String why) {
        requireState(State.pending);
        return closed(State.withdrawn, now, why, decidedAt);
    }

    /** The grant is over: at its end, or early ({@code grantEnd} moves to {@code now}). */
    public AccessRequest end(Instant now, String why) {
        requireState(State.approved);
        Instant end = now.isBefore(grantEnd) ? now : grantEnd;
        Instant start = grantStart.isAfter(end) ? end : grantStart;
        return new AccessRequest(id, requester, requesterIssuer, requesterSubject, requesterEmail, role, reason, duration,
                startAt, State.ended, mode, approvalsRequired, decisionReason, createdAt, expiresAt, decidedAt, start,
                end, now, why);
    }

    /** Whether the grant is in force at {@code now}. */
    public boolean isActive(Instant now) {
        return state == State.approved && !now.isBefore(grantStart) && now.isBefore(grantEnd);
    }

    /** Whether a scheduled sweep has something to do: a pending request past its wait, a grant past its end. */
    public boolean isDue(Instant now) {
        return (state == State.pending && !now.isBefore(expiresAt)) || (state == State.approved && !now.isBefore(grantEnd));
    }

    private AccessRequest closed(State to, Instant now, String why, Instant decided) {
        return new AccessRequest(id, requester, requesterIssuer, requesterSubject, requesterEmail, role, reason, duration,
                startAt, to, mode, approvalsRequired, decisionReason, createdAt, expiresAt, decided, null, null, now, why);
    }

    private void requireState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("access request " + id + " is " + state + ", not " + expected);
        }
    }
}
