package dev.writ.ca.store;

import dev.writ.ca.store.AccessRequest.Mode;
import dev.writ.ca.store.AccessRequest.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The access requests, their reviews and the certificates that carry each grant. Every change
 * runs in the store's one writer: it reads the current row, checks that the change still applies
 * (refusing with {@link AccessConflict} before writing anything), writes the row and appends its
 * audit events in the same transaction, so a state change and its audit record commit together
 * and two reviewers or a reviewer and a sweep never both win.
 */
public final class AccessRequests {

    /** A state change computed from the current row, inside the write; throws to refuse it. */
    public interface Change {
        AccessRequest apply(AccessRequest current) throws AccessConflict;
    }

    /** The audit events of a change, made once its outcome is known. */
    public interface Events {
        List<AuditEvent> of(Changed changed);
    }

    /**
     * What a committed change did.
     *
     * @param approvals distinct approvals the request has now
     * @param serials   certificates that carry the grant, when the change ended it; else empty
     */
    public record Changed(AccessRequest before, AccessRequest after, int approvals, List<Long> serials) {
        public Changed {
            serials = List.copyOf(serials);
        }

        public boolean changedState() {
            return before.state() != after.state();
        }
    }

    private static final String COLUMNS = "id, requester, requester_issuer, requester_subject, requester_email, role,"
            + " reason, duration_seconds, start_at, state, mode, approvals_required, decision_reason, created_at,"
            + " expires_at, decided_at, grant_start, grant_end, ended_at, end_reason";

    private final Store store;
    private final Connection read;

    AccessRequests(Store store, Connection read) {
        this.store = store;
        this.read = read;
    }

    // ---- changes

    /**
     * Records a new request (pending, or approved at once) with its audit events. Refused when the
     * requester already has a request for the role that is pending or whose grant has not ended.
     */
    public void create(AccessRequest request, List<AuditEvent> events) throws StoreException {
        store.write(c -> {
            Optional<AccessRequest> open = openFor(c, request);
            if (open.isPresent()) {
                AccessRequest o = open.get();
                throw AccessConflict.conflict(o.state() == State.pending
                        ? "you already have a pending request for role '" + o.role() + "' (" + o.id() + ")"
                        : "you already hold a grant for role '" + o.role() + "' until " + o.grantEnd() + " (" + o.id() + ")");
            }
            insert(c, request);
            for (AuditEvent event : events) {
                store.append(event);
            }
            return null;
        });
    }

    /**
     * Records a review of a pending request and, when it decides the request (one denial, or the
     * last approval needed), the new state; the grant's clock starts at that approval.
     */
    public Changed review(AccessReview review, Events events) throws StoreException {
        return store.write(c -> {
            AccessRequest current = load(c, review.requestId());
            if (current.state() != State.pending) {
                throw AccessConflict.conflict("access request " + current.id() + " is " + current.state() + ", not pending");
            }
            if (!review.at().isBefore(current.expiresAt())) {
                throw AccessConflict.conflict("access request " + current.id() + " expired at " + current.expiresAt());
            }
            List<AccessReview> earlier = reviews(c, current.id());
            if (earlier.stream().anyMatch(r -> r.sameReviewer(review))) {
                throw AccessConflict.conflict("you already reviewed access request " + current.id());
            }
            insertReview(c, review);
            int approvals = (int) earlier.stream().filter(AccessReview::approve).count() + (review.approve() ? 1 : 0);
            AccessRequest after = !review.approve() ? current.deny(review.at(), "denied by " + review.reviewer())
                    : approvals >= current.approvalsRequired() ? current.approve(review.at()) : current;
            if (after != current) {
                update(c, after);
            }
            Changed changed = new Changed(current, after, approvals, List.of());
            for (AuditEvent event : events.of(changed)) {
                store.append(event);
            }
            return changed;
        });
    }

    /** Applies {@code change} to the request's current row: withdraw, end early, expire, end at the end. */
    public Changed change(String id, Change change, Events events) throws StoreException {
        return store.write(c -> {
            AccessRequest current = load(c, id);
            AccessRequest after = change.apply(current);
            update(c, after);
            List<Long> serials = after.state() == State.ended ? serials(c, id) : List.of();
            int approvals = (int) reviews(c, id).stream().filter(AccessReview::approve).count();
            Changed changed = new Changed(current, after, approvals, serials);
            for (AuditEvent event : events.of(changed)) {
                store.append(event);
            }
            return changed;
        });
    }

    /**
     * Inside the issuance transaction, before anything is written: refuses when a grant is no
     * longer active at {@code at}. Because ending a grant reads its certificates in the same single
     * writer, a certificate is either among those reported when its grant ends, or not issued.
     */
    void checkActive(Connection c, List<String> grantIds, Instant at) throws SQLException, AccessConflict {
        for (String id : grantIds) {
            AccessRequest grant = load(c, id);
            if (!grant.isActive(at)) {
                throw AccessConflict.conflict("the access grant for role '" + grant.role()
                        + "' ended while the certificate was being issued; ask again");
            }
        }
    }

    /** Inside the issuance transaction: records that the certificate carries the grants. */
    void link(Connection c, long serial, List<String> grantIds) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO certificate_grants (serial, request_id) VALUES (?, ?)")) {
            for (String id : grantIds) {
                insert.setLong(1, serial);
                insert.setString(2, id);
                insert.executeUpdate();
            }
        }
    }

    // ---- reads

    public Optional<AccessRequest> find(String id) throws StoreException {
        synchronized (store) {
            try {
                return Optional.of(load(read, id));
            } catch (AccessConflict notFound) {
                return Optional.empty();
            } catch (SQLException e) {
                throw new StoreException("cannot read access request", e);
            }
        }
    }

    public List<AccessReview> reviews(String id) throws StoreException {
        synchronized (store) {
            try {
                return reviews(read, id);
            } catch (SQLException e) {
                throw new StoreException("cannot read reviews", e);
            }
        }
    }

    /** Newest first; {@code state} null for every state, {@code issuer} and {@code subject} null for every requester. */
    public List<AccessRequest> list(State state, String issuer, String subject, int limit) throws StoreException {
        return select("SELECT " + COLUMNS + " FROM access_requests WHERE (? IS NULL OR state = ?)"
                + " AND (? IS NULL OR (requester_issuer = ? AND requester_subject = ?))"
                + " ORDER BY created_at DESC, id LIMIT ?", ps -> {
                    ps.setString(1, state == null ? null : state.name());
                    ps.setString(2, state == null ? null : state.name());
                    ps.setString(3, issuer);
                    ps.setString(4, issuer);
                    ps.setString(5, subject);
                    ps.setInt(6, limit);
                });
    }

    /** The grants in force for this person at {@code now}. */
    public List<AccessRequest> active(String issuer, String subject, Instant now) throws StoreException {
        return select("SELECT " + COLUMNS + " FROM access_requests WHERE requester_issuer = ? AND requester_subject = ?"
                + " AND state = 'approved' AND grant_start <= ? AND grant_end > ?", ps -> {
                    ps.setString(1, issuer);
                    ps.setString(2, subject);
                    ps.setLong(3, now.toEpochMilli());
                    ps.setLong(4, now.toEpochMilli());
                });
    }

    /** Pending requests past their wait and grants past their end, oldest first, at most {@code limit}. */
    public List<AccessRequest> due(Instant now, int limit) throws StoreException {
        return select("SELECT " + COLUMNS + " FROM access_requests WHERE (state = 'pending' AND expires_at <= ?)"
                + " OR (state = 'approved' AND grant_end <= ?) ORDER BY created_at LIMIT ?", ps -> {
                    ps.setLong(1, now.toEpochMilli());
                    ps.setLong(2, now.toEpochMilli());
                    ps.setInt(3, limit);
                });
    }

    /** The serials of the certificates that carry the grant. */
    public List<Long> serials(String id) throws StoreException {
        synchronized (store) {
            try {
                return serials(read, id);
            } catch (SQLException e) {
                throw new StoreException("cannot read the certificates of a grant", e);
            }
        }
    }

    // ---- rows

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<AccessRequest> select(String sql, Binder binder) throws StoreException {
        synchronized (store) {
            try (PreparedStatement ps = read.prepareStatement(sql)) {
                binder.bind(ps);
                List<AccessRequest> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw new StoreException("cannot read access requests", e);
            }
        }
    }

    private static AccessRequest load(Connection c, String id) throws SQLException, AccessConflict {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM access_requests WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw AccessConflict.notFound("no access request '" + id + "'");
                }
                return row(rs);
            }
        }
    }

    private static Optional<AccessRequest> openFor(Connection c, AccessRequest request) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM access_requests"
                + " WHERE requester_issuer = ? AND requester_subject = ? AND role = ?"
                + " AND ((state = 'pending' AND expires_at > ?) OR (state = 'approved' AND grant_end > ?)) LIMIT 1")) {
            ps.setString(1, request.requesterIssuer());
            ps.setString(2, request.requesterSubject());
            ps.setString(3, request.role());
            ps.setLong(4, request.createdAt().toEpochMilli());
            ps.setLong(5, request.createdAt().toEpochMilli());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static void insert(Connection c, AccessRequest r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO access_requests (" + COLUMNS + ")"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.id());
            ps.setString(2, r.requester());
            ps.setString(3, r.requesterIssuer());
            ps.setString(4, r.requesterSubject());
            ps.setString(5, r.requesterEmail());
            ps.setString(6, r.role());
            ps.setString(7, r.reason());
            ps.setLong(8, r.duration().getSeconds());
            setMillis(ps, 9, r.startAt());
            ps.setString(10, r.state().name());
            ps.setString(11, r.mode().name());
            ps.setInt(12, r.approvalsRequired());
            ps.setString(13, r.decisionReason());
            ps.setLong(14, r.createdAt().toEpochMilli());
            ps.setLong(15, r.expiresAt().toEpochMilli());
            setMillis(ps, 16, r.decidedAt());
            setMillis(ps, 17, r.grantStart());
            setMillis(ps, 18, r.grantEnd());
            setMillis(ps, 19, r.endedAt());
            ps.setString(20, r.endReason());
            ps.executeUpdate();
        }
    }

    /** Writes what a state change may alter; the rest of a request never changes. */
    private static void update(Connection c, AccessRequest r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE access_requests SET state = ?, decided_at = ?,"
                + " grant_start = ?, grant_end = ?, ended_at = ?, end_reason = ? WHERE id = ?")) {
            ps.setString(1, r.state().name());
            setMillis(ps, 2, r.decidedAt());
            setMillis(ps, 3, r.grantStart());
            setMillis(ps, 4, r.grantEnd());
            setMillis(ps, 5, r.endedAt());
            ps.setString(6, r.endReason());
            ps.setString(7, r.id());
            ps.executeUpdate();
        }
    }

    private static void insertReview(Connection c, AccessReview r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO access_reviews (request_id, reviewer, reviewer_issuer,"
                + " reviewer_subject, reviewer_email, decision, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.requestId());
            ps.setString(2, r.reviewer());
            ps.setString(3, r.reviewerIssuer());
            ps.setString(4, r.reviewerSubject());
            ps.setString(5, r.reviewerEmail());
            ps.setString(6, r.decision());
            ps.setString(7, r.comment());
            ps.setLong(8, r.at().toEpochMilli());
            ps.executeUpdate();
        }
    }

    private static List<AccessReview> reviews(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM access_reviews WHERE request_id = ? ORDER BY at")) {
            ps.setString(1, id);
            List<AccessReview> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new AccessReview(rs.getString("request_id"), rs.getString("reviewer"),
                            rs.getString("reviewer_issuer"), rs.getString("reviewer_subject"),
                            rs.getString("reviewer_email"), "approve".equals(rs.getString("decision")),
                            rs.getString("comment"), Instant.ofEpochMilli(rs.getLong("at"))));
                }
            }
            return out;
        }
    }

    private static List<Long> serials(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT serial FROM certificate_grants WHERE request_id = ? ORDER BY serial")) {
            ps.setString(1, id);
            List<Long> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
            return Collections.unmodifiableList(out);
        }
    }

    private static AccessRequest row(ResultSet rs) throws SQLException {
        return new AccessRequest(rs.getString("id"), rs.getString("requester"), rs.getString("requester_issuer"),
                rs.getString("requester_subject"), rs.getString("requester_email"), rs.getString("role"),
                rs.getString("reason"), Duration.ofSeconds(rs.getLong("duration_seconds")), millis(rs, "start_at"),
                State.parse(rs.getString("state")), Mode.valueOf(rs.getString("mode")), rs.getInt("approvals_required"),
                rs.getString("decision_reason"), millis(rs, "created_at"), millis(rs, "expires_at"),
                millis(rs, "decided_at"), millis(rs, "grant_start"), millis(rs, "grant_end"), millis(rs, "ended_at"),
                rs.getString("end_reason"));
    }

    private static Instant millis(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    private static void setMillis(PreparedStatement ps, int index, Instant at) throws SQLException {
        if (at == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setLong(index, at.toEpochMilli());
        }
    }
}
