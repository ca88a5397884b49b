package dev.writ.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.store.AccessRequest.Mode;
import dev.writ.ca.store.AccessRequest.State;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import dev.writ.ca.testing.TestDatabase;

@ParameterizedClass
@EnumSource(TestDatabase.Kind.class)
class AccessRequestsTest {

    static final Instant T0 = Instant.parse("2026-11-18T09:00:00Z");
    static final String IDP = "https://idp.example.com";

    @Parameter
    TestDatabase.Kind kind;
    @TempDir
    Path dir;
    TestDatabase db;
    Store store;
    AccessRequests requests;

    @BeforeEach
    void open() throws Exception {
        db = kind.create(dir);
        store = db.open();
        requests = store.accessRequests();
    }

    @AfterEach
    void close() {
        store.close();
        db.close();
    }

    static AccessRequest pending(String id, int approvals) {
        return AccessRequest.pending(id, "alice@example.com", IDP, "u-alice", "alice@example.com", "prod-admin", "INC-1",
                Duration.ofHours(2), null, Mode.review, approvals, "waiting", T0, Duration.ofHours(1));
    }

    static AccessReview review(String id, String who, boolean approve, Instant at) {
        return new AccessReview(id, who + "@example.com", IDP, "u-" + who, who + "@example.com", approve, null, at);
    }

    static IssuedCertificate certificate(long serial, Instant at) {
        return new IssuedCertificate(serial, "user", "alice@example.com", List.of("alice", "root"), at.minusSeconds(60),
                at.plusSeconds(1800), "SHA256:abc", "alice@example.com", IDP, "127.0.0.1", List.of("prod-admin"), at);
    }

    static AuditEvent event(String type, String actor) {
        return new AuditEvent(T0, type, actor, AuditEvent.Outcome.ok, "127.0.0.1", Map.of());
    }

    static AccessRequests.Events events(String type) {
        return changed -> List.of(event(type, "test"));
    }

    @Nested
    class Reviews {

        @Test
        void approveWithTheLastNeededApprovalAndStartTheClockThen() throws Exception {
            requests.create(pending("r1", 2), List.of(event("access.requested", "alice")));
            Instant first = T0.plusSeconds(60);
            Instant second = T0.plusSeconds(600);
            assertEquals(State.pending, requests.review(review("r1", "bob", true, first), events("access.reviewed"))
                    .after().state());
            AccessRequests.Changed changed = requests.review(review("r1", "dan", true, second), events("access.reviewed"));
            assertEquals(2, changed.approvals());
            assertEquals(State.approved, changed.after().state());
            assertEquals(second, changed.after().grantStart());
            assertEquals(second.plus(Duration.ofHours(2)), changed.after().grantEnd());
            assertEquals(List.of("bob@example.com", "dan@example.com"),
                    requests.reviews("r1").stream().map(AccessReview::reviewer).toList());
        }

        @Test
        void countTheSamePersonOnceEvenFromAnotherAccount() throws Exception {
            requests.create(pending("r1", 2), List.of());
            requests.review(review("r1", "bob", true, T0.plusSeconds(1)), events("x"));
            AccessReview again = new AccessReview("r1", "bob@example.com", "https://other", "other-sub",
                    "BOB@example.com", true, null, T0.plusSeconds(2));
            AccessConflict e = assertThrows(AccessConflict.class, () -> requests.review(again, events("x")));
            assertEquals("you already reviewed access request r1", e.getMessage());
        }

        @Test
        void denyWithOneDenial() throws Exception {
            requests.create(pending("r1", 2), List.of());
            AccessRequests.Changed changed = requests.review(review("r1", "bob", false, T0.plusSeconds(1)), events("x"));
            assertEquals(State.denied, changed.after().state());
            AccessConflict e = assertThrows(AccessConflict.class,
                    () -> requests.review(review("r1", "dan", true, T0.plusSeconds(2)), events("x")));
            assertEquals("access request r1 is denied, not pending", e.getMessage());
        }

        @Test
        void refuseAReviewAfterThePendingTimeWithoutWriting() throws Exception {
            requests.create(pending("r1", 1), List.of());
            long before = store.auditEvents(0, 100).size();
            AccessConflict e = assertThrows(AccessConflict.class,
                    () -> requests.review(review("r1", "bob", true, T0.plusSeconds(3600)), events("x")));
            assertEquals("access request r1 expired at 2026-11-18T10:00:00Z", e.getMessage());
            assertEquals(List.of(), requests.reviews("r1"));
            assertEquals(before, store.auditEvents(0, 100).size());
        }

        @Test
        void refuseAnUnknownRequest() {
            AccessConflict e = assertThrows(AccessConflict.class,
                    () -> requests.review(review("nope", "bob", true, T0), events("x")));
            assertEquals(AccessConflict.Kind.NOT_FOUND, e.kind());
            assertEquals("no access request 'nope'", e.getMessage());
        }
    }

    @Nested
    class Grants {

        @Test
        void refuseASecondOpenRequestForTheSameRole() throws Exception {
            requests.create(pending("r1", 1), List.of());
            AccessConflict e = assertThrows(AccessConflict.class, () -> requests.create(pending("r2", 1), List.of()));
            assertEquals("you already have a pending request for role 'prod-admin' (r1)", e.getMessage());
        }

        @Test
        void linkCertificatesAndReportThemWhenTheGrantEnds() throws Exception {
            requests.create(pending("r1", 1).approve(T0), List.of());
            store.recordIssuance(certificate(42, T0.plusSeconds(60)), List.of("r1"), event("certificate.issued", "alice"));
            assertEquals(List.of("r1"), requests.active(IDP, "u-alice", T0.plusSeconds(60)).stream()
                    .map(AccessRequest::id).toList());
            AccessRequests.Changed ended = requests.change("r1", r -> r.end(T0.plusSeconds(120), "ended early by alice"),
                    events("access.ended"));
            assertEquals(List.of(42L), ended.serials());
            assertEquals(T0.plusSeconds(120), ended.after().grantEnd());
            assertEquals(List.of(), requests.active(IDP, "u-alice", T0.plusSeconds(121)));
        }

        @Test
        void refuseACertificateForAGrantThatEndedAndKeepNothingOfIt() throws Exception {
            requests.create(pending("r1", 1).approve(T0), List.of());
            requests.change("r1", r -> r.end(T0.plusSeconds(10), "ended"), events("access.ended"));
            long before = store.auditEvents(0, 100).size();
            AccessConflict e = assertThrows(AccessConflict.class, () -> store.recordIssuance(certificate(42, T0.plusSeconds(60)),
                    List.of("r1"), event("certificate.issued", "alice")));
            assertTrue(e.getMessage().startsWith("the access grant for role 'prod-admin' ended"), e.getMessage());
            assertTrue(store.certificate(42).isEmpty());
            assertEquals(before, store.auditEvents(0, 100).size());
        }

        @Test
        void listWhatIsDue() throws Exception {
            requests.create(pending("r1", 1), List.of());
            assertEquals(List.of(), requests.due(T0.plusSeconds(3599), 10));
            assertEquals(List.of("r1"), requests.due(T0.plusSeconds(3600), 10).stream().map(AccessRequest::id).toList());
        }
    }

    @Test
    void keepsTheAuditChainWholeAcrossEveryKindOfChange() throws Exception {
        requests.create(pending("r1", 1), List.of(event("access.requested", "alice")));
        requests.review(review("r1", "bob", true, T0.plusSeconds(5)), events("access.approved"));
        requests.change("r1", r -> r.end(T0.plusSeconds(50), "ended"), events("access.ended"));
        var result = store.verifyAudit();
        assertTrue(result.ok(), result.problem());
        assertEquals(3, result.events());
    }

    @Test
    void filtersTheAuditLog() throws Exception {
        store.audit(event("access.requested", "alice"));
        store.audit(event("access.approved", "bob"));
        store.audit(event("certificate.issued", "alice"));
        store.audit(new AuditEvent(T0.plusSeconds(10), "access_requested", "alice", AuditEvent.Outcome.ok, null, Map.of()));
        assertEquals(List.of(1L, 2L), seqs(new AuditQuery(null, "access.*", null, null, 0, 100)));
        assertEquals(List.of(1L, 3L, 4L), seqs(new AuditQuery("alice", null, null, null, 0, 100)));
        assertEquals(List.of(3L), seqs(new AuditQuery(null, "certificate.issued", null, null, 0, 100)));
        assertEquals(List.of(4L), seqs(new AuditQuery(null, null, T0.plusSeconds(1), null, 0, 100)));
        assertEquals(List.of(1L, 2L, 3L), seqs(new AuditQuery(null, null, null, T0.plusSeconds(1), 0, 100)));
        assertEquals(List.of(3L), seqs(new AuditQuery(null, null, null, null, 2, 1)));
    }

    List<Long> seqs(AuditQuery query) throws StoreException {
        return store.auditEvents(query).stream().map(StoredAuditEvent::seq).toList();
    }
}
