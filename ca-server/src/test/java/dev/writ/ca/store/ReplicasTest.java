package dev.writ.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.store.AccessRequest.Mode;
import dev.writ.ca.store.AccessRequest.State;
import dev.writ.ca.store.RevocationTable.Entry;
import dev.writ.ca.testing.TestDatabase;
import dev.writ.protocol.audit.AuditChain;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several CA replicas on one PostgreSQL database: three stores, each with its own connections and
 * writer, hammered at once; afterwards each invariant that one writer used to guarantee holds.
 */
class ReplicasTest {

    static final Instant T0 = Instant.parse("2026-11-21T08:00:00Z");
    static final String IDP = "https://idp.example.com";

    @TempDir
    Path dir;
    TestDatabase db;
    final List<Store> replicas = new ArrayList<>();
    ExecutorService pool;

    @BeforeEach
    void open() throws Exception {
        db = TestDatabase.Kind.POSTGRESQL.create(dir);
        for (int i = 0; i < 3; i++) {
            replicas.add(db.open());
        }
        pool = Executors.newFixedThreadPool(12);
    }

    @AfterEach
    void close() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        replicas.forEach(Store::close);
        db.close();
    }

    static AuditEvent event(String type, int n) {
        return new AuditEvent(T0.plusMillis(n), type, "test", AuditEvent.Outcome.ok, "127.0.0.1", Map.of("n", n));
    }

    static IssuedCertificate certificate(long serial) {
        return new IssuedCertificate(serial, "user", "alice@example.com", List.of("alice"), T0.minusSeconds(60),
                T0.plusSeconds(3600), "SHA256:abc", "alice@example.com", IDP, "127.0.0.1", List.of("engineer"), T0);
    }

    Store replica(int n) {
        return replicas.get(n % replicas.size());
    }

    /** Runs every task at once on the pool; returns each one's result or the exception it threw. */
    <T> List<Object> race(List<Callable<T>> tasks) throws InterruptedException {
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> task : tasks) {
            futures.add(pool.submit(task));
        }
        List<Object> outcomes = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                outcomes.add(f.get(120, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                outcomes.add(e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("a replica's write did not finish within 120 s", e);
            }
        }
        return outcomes;
    }

    @Test
    void theAuditChainIsOneLinearOrderAcrossReplicas() throws Exception {
        List<Callable<Void>> writes = new ArrayList<>();
        for (int i = 1; i <= 600; i++) {
            int n = i;
            writes.add(() -> {
                if (n % 2 == 0) {
                    replica(n).recordIssuance(certificate(n), event("certificate.issued", n));
                } else {
                    replica(n).audit(event("test.event", n));
                }
                return null;
            });
        }
        List<Object> outcomes = race(writes);
        assertTrue(outcomes.stream().allMatch(o -> o == null), "every write committed: " + outcomes.stream()
                .filter(o -> o != null).findFirst().orElse(null));
        for (Store store : replicas) {
            AuditChain.Verification result = store.verifyAudit();
            assertTrue(result.ok(), String.valueOf(result.problem()));
            assertEquals(600, result.events());
        }
        assertEquals(600, db.count("SELECT COUNT(DISTINCT prev_hash) FROM audit_events"), "no event was chained twice");
    }

    @Test
    void aSerialIsIssuedOnceWhicheverReplicasRaceForIt() throws Exception {
        List<Callable<Void>> writes = new ArrayList<>();
        for (int serial = 1; serial <= 100; serial++) {
            for (int r = 0; r < 3; r++) {
                long s = serial;
                Store store = replica(r);
                writes.add(() -> {
                    store.recordIssuance(certificate(s), event("certificate.issued", (int) s));
                    return null;
                });
            }
        }
        List<Object> outcomes = race(writes);
        assertEquals(100, outcomes.stream().filter(o -> o == null).count());
        assertEquals(200, outcomes.stream().filter(o -> o instanceof SerialConflictException).count());
        assertEquals(100, db.count("SELECT COUNT(*) FROM certificates"));
        assertEquals(100, db.count("SELECT COUNT(*) FROM audit_events"), "a refused serial leaves no audit event");
        assertTrue(replica(0).verifyAudit().ok());
    }

    @Test
    void twoApproversRacingOnATwoApprovalRequestGiveExactlyOneApprovalEach() throws Exception {
        int requests = 30;
        for (int i = 0; i < requests; i++) {
            replica(i).accessRequests().create(AccessRequest.pending("r" + i, "alice@example.com", IDP, "u-alice",
                    "alice@example.com", "role-" + i, "INC-1", Duration.ofHours(2), null, Mode.review, 2, "waiting", T0,
                    Duration.ofHours(1)), List.of(event("access.requested", i)));
        }
        List<Callable<AccessRequests.Changed>> reviews = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            String id = "r" + i;
            // bob and dan approve on different replicas; bob also clicks twice, on a third
            for (String[] who : new String[][] {{"bob", "0"}, {"dan", "1"}, {"bob", "2"}}) {
                Store store = replica(Integer.parseInt(who[1]));
                reviews.add(() -> store.accessRequests().review(new AccessReview(id, who[0] + "@example.com", IDP,
                        "u-" + who[0], who[0] + "@example.com", true, null, T0.plusSeconds(60)),
                        changed -> List.of(event("access.reviewed", 0))));
            }
        }
        List<Object> outcomes = race(reviews);
        for (int i = 0; i < requests; i++) {
            List<Object> three = outcomes.subList(3 * i, 3 * i + 3);
            List<AccessRequests.Changed> accepted = three.stream().filter(o -> o instanceof AccessRequests.Changed)
                    .map(o -> (AccessRequests.Changed) o).toList();
            assertEquals(2, accepted.size(), "bob once and dan once: " + three);
            assertInstanceOf(AccessConflict.class, three.stream().filter(o -> !(o instanceof AccessRequests.Changed))
                    .findFirst().orElseThrow());
            assertEquals(1, accepted.stream().filter(AccessRequests.Changed::changedState).count(),
                    "exactly one review decided the request");
            assertEquals(2, accepted.stream().mapToInt(AccessRequests.Changed::approvals).max().orElseThrow());
            AccessRequest stored = replica(i + 1).accessRequests().find("r" + i).orElseThrow();
            assertEquals(State.approved, stored.state());
            assertEquals(2, replica(i).accessRequests().reviews("r" + i).size());
        }
        assertTrue(replica(2).verifyAudit().ok());
    }

    @Test
    void aJoinTokenIsSpentOnceAcrossReplicas() throws Exception {
        int tokens = 40;
        for (int t = 0; t < tokens; t++) {
            replica(t).createJoinToken(new JoinToken("hash-" + t, List.of("web" + t + ".example.com"), "alice@example.com",
                    T0.minusSeconds(60), T0.plusSeconds(1800), null, null), event("join_token.created", t));
        }
        List<Callable<Void>> spends = new ArrayList<>();
        AtomicLong serials = new AtomicLong(1000);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < 3; r++) {
                String hash = "hash-" + t;
                Store store = replica(r);
                long serial = serials.incrementAndGet();
                spends.add(() -> {
                    IssuedCertificate c = new IssuedCertificate(serial, "host", "join-token", List.of("web.example.com"),
                            T0.minusSeconds(60), T0.plusSeconds(86_400), "SHA256:h" + serial, "join-token", "writ:join-token",
                            "127.0.0.1", List.of(), T0);
                    store.recordHostIssuance(c, HostProvenance.joinToken("joined", hash), event("certificate.issued", 0));
                    return null;
                });
            }
        }
        List<Object> outcomes = race(spends);
        for (int t = 0; t < tokens; t++) {
            List<Object> three = outcomes.subList(3 * t, 3 * t + 3);
            assertEquals(1, three.stream().filter(o -> o == null).count(), "one certificate per token: " + three);
            assertEquals(2, three.stream().filter(o -> o instanceof JoinTokenSpentException).count());
        }
        assertEquals(tokens, db.count("SELECT COUNT(*) FROM host_certificates"));
        assertEquals(tokens, db.count("SELECT COUNT(*) FROM certificates"), "a refused spend leaves no certificate");
    }

    @Test
    void theKrlVersionGrowsInCommitOrderAndNeverSkipsARevocation() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        List<String> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        Future<Integer> reader = pool.submit(() -> {
            // whoever reads version V must find every revocation up to V, now and later
            int reads = 0;
            long last = 0;
            while (writing.get() || reads < 5) {
                long version = replica(reads).revocations().version();
                long rows = db.count("SELECT COUNT(*) FROM revocations WHERE id <= " + version);
                if (rows != version || version < last) {
                    gaps.add("version " + version + " after " + last + " with " + rows + " rows");
                }
                last = version;
                reads++;
            }
            return reads;
        });
        List<Callable<RevocationTable.Revoked>> revocations = new ArrayList<>();
        for (int i = 1; i <= 240; i++) {
            int n = i;
            revocations.add(() -> replica(n).revocations().revoke(List.of(Entry.serial(n), Entry.keyId("k" + (n % 80))),
                    "test", "admin@example.com", T0, r -> List.of(event("revocation.created", n))));
        }
        List<Object> outcomes = race(revocations);
        writing.set(false);
        assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
        assertEquals(List.of(), gaps);
        Set<Long> versions = new HashSet<>();
        for (Object o : outcomes) {
            RevocationTable.Revoked revoked = assertInstanceOf(RevocationTable.Revoked.class, o);
            assertTrue(versions.add(revoked.version()), "each commit has a version of its own");
        }
        assertEquals(320, db.count("SELECT COUNT(*) FROM revocations"), "240 serials and 80 key ids, each once");
        assertEquals(320, db.count("SELECT max(id) FROM revocations"), "ids without a gap");
        for (Store store : replicas) {
            assertEquals(320, store.revocations().version(), "every replica serves the same KRL version");
        }
    }

    @Test
    void recordingsTakeDistinctNumbersFromTheDatabase() throws Exception {
        List<Callable<Recordings.Insert>> uploads = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int n = i;
            uploads.add(() -> replica(n).recordings().insert(new StoredRecording(0, "rec-" + n, "s-" + n,
                    "alice@example.com", "root", "web01", "1234", null, "10.0.0.7", T0, T0.plusSeconds(5), 100, false,
                    80, 24, "ab".repeat(32), "c2ln", "bastion-1", "ssh-ed25519 AAAA", "ab/rec-" + n + ".cast",
                    T0.plusSeconds(6), 0), List.of(new Recordings.Line(10, "marker-" + n + " done")),
                    event("recording.stored", n)));
        }
        List<Object> outcomes = race(uploads);
        Set<Long> seqs = new HashSet<>();
        for (Object o : outcomes) {
            seqs.add(assertInstanceOf(Recordings.Insert.class, o).recording().seq());
        }
        assertEquals(60, seqs.size());
        for (int n : new int[] {0, 17, 59}) {
            List<Recordings.Match> found = replica(n + 1).recordings().search(
                    new Recordings.Query(null, null, null, null, "MARKER-" + n + " ", 10, 10));
            assertEquals(List.of("rec-" + n), found.stream().map(m -> m.recording().id()).toList());
        }
    }

    @Test
    void concurrentStartersMigrateTheDatabaseOnce() throws Exception {
        TestDatabase fresh = TestDatabase.Kind.POSTGRESQL.createEmpty(dir);
        try {
            List<Callable<Store>> starters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                starters.add(fresh::open);
            }
            List<Object> outcomes = race(starters);
            for (Object o : outcomes) {
                assertInstanceOf(Store.class, o, "every starter opened the store").close();
            }
            long applied = fresh.count("SELECT COUNT(*) FROM flyway_schema_history WHERE success AND version IS NOT NULL");
            assertTrue(applied >= 7, "every migration applied: " + applied);
            assertEquals(applied, fresh.count("SELECT COUNT(DISTINCT version) FROM flyway_schema_history WHERE version IS NOT NULL"),
                    "no migration applied twice");
            assertEquals(1, fresh.count("SELECT COUNT(*) FROM flyway_schema_history WHERE version = '1'"));
        } finally {
            fresh.close();
        }
    }
}
