package dev.writ.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.protocol.audit.AuditChain;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
class StoreTest {

    @Parameter
    TestDatabase.Kind kind;
    @TempDir
    Path dir;
    TestDatabase db;
    Store store;

    @BeforeEach
    void open() throws Exception {
        db = kind.create(dir);
        store = db.open();
    }

    @AfterEach
    void close() {
        store.close();
        db.close();
    }

    static AuditEvent event(String actor, int n) {
        return new AuditEvent(Instant.parse("2026-11-21T08:00:00Z").plusSeconds(n), "test.event", actor,
                AuditEvent.Outcome.ok, "127.0.0.1", Map.of("n", n, "note", "line\nbreak"));
    }

    static IssuedCertificate certificate(long serial) {
        Instant now = Instant.parse("2026-11-21T08:00:00Z");
        return new IssuedCertificate(serial, "user", "alice@example.com", List.of("alice"), now.minusSeconds(60),
                now.plusSeconds(3600), "SHA256:abc", "alice@example.com", "http://127.0.0.1/idp", "127.0.0.1",
                List.of("engineer"), now);
    }

    void tamper(String sql) throws SQLException {
        store.close();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            db.dropAuditGuards(s);
            s.executeUpdate(sql);
        }
    }

    void writeEvents(int count) throws StoreException {
        for (int i = 1; i <= count; i++) {
            store.audit(event("alice", i));
        }
    }

    @Nested
    class AuditChainVerification {

        @Test
        void passesOnAnUntouchedLog() throws Exception {
            writeEvents(5);
            AuditChain.Verification result = store.verifyAudit();
            assertTrue(result.ok(), String.valueOf(result.problem()));
            assertEquals(5, result.events());
        }

        @Test
        void findsAnAlteredEvent() throws Exception {
            writeEvents(5);
            tamper("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3");
            store = db.open();
            AuditChain.Verification result = store.verifyAudit();
            assertFalse(result.ok());
            assertEquals(3L, result.brokenAt());
            assertEquals("event 3 was altered (hash differs)", result.problem());
        }

        @Test
        void findsAnAlteredEventWhoseHashWasRecomputed() throws Exception {
            writeEvents(5);
            String forged = AuditChain.hash(store.auditEvents(1, 1).get(0).prevHash(), 2,
                    event("alice", 2).at().toEpochMilli(), "test.event", "mallory", "ok", "127.0.0.1", "{}");
            tamper("UPDATE audit_events SET actor = 'mallory', details = '{}', hash = '" + forged + "' WHERE seq = 2");
            store = db.open();
            AuditChain.Verification result = store.verifyAudit();
            assertFalse(result.ok());
            assertEquals(3L, result.brokenAt());
            assertEquals("event 3 does not follow the previous event (prev_hash differs)", result.problem());
        }

        @Test
        void findsADeletedEvent() throws Exception {
            writeEvents(5);
            tamper("DELETE FROM audit_events WHERE seq = 2");
            store = db.open();
            AuditChain.Verification result = store.verifyAudit();
            assertFalse(result.ok());
            assertEquals(2L, result.brokenAt());
            assertEquals("event 2 is missing", result.problem());
        }

        @Test
        void findsATruncatedTail() throws Exception {
            writeEvents(5);
            tamper("DELETE FROM audit_events WHERE seq >= 4");
            store = db.open();
            AuditChain.Verification result = store.verifyAudit();
            assertFalse(result.ok());
            assertTrue(result.problem().contains("events were removed from the end"), result.problem());
        }

        @Test
        void refusesUpdatesThroughTheDatabase() throws Exception {
            writeEvents(1);
            store.close();
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> s.executeUpdate("DELETE FROM audit_events"));
                assertTrue(e.getMessage().contains("append-only"), e.getMessage());
            }
            store = db.open();
        }

        @Test
        void chainContinuesAcrossRestarts() throws Exception {
            writeEvents(3);
            store.close();
            store = db.open();
            writeEvents(2);
            AuditChain.Verification result = store.verifyAudit();
            assertTrue(result.ok(), String.valueOf(result.problem()));
            assertEquals(5, result.events());
        }
    }

    @Nested
    class GroupCommit {

        @Test
        void concurrentWritersAllLandInOneUnbrokenChain() throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 1; i <= 800; i++) {
                    int n = i;
                    futures.add(pool.submit(() -> {
                        store.recordIssuance(certificate(n), event("user" + (n % 16), n));
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            AuditChain.Verification result = store.verifyAudit();
            assertTrue(result.ok(), String.valueOf(result.problem()));
            assertEquals(800, result.events());
            assertTrue(store.certificate(400).isPresent());
        }

        @Test
        void aRepeatedSerialFailsOnlyItsOwnWriteAndLeavesNoAuditEvent() throws Exception {
            store.recordIssuance(certificate(42), event("alice", 1));
            assertThrows(SerialConflictException.class, () -> store.recordIssuance(certificate(42), event("alice", 2)));
            store.recordIssuance(certificate(43), event("alice", 3));
            AuditChain.Verification result = store.verifyAudit();
            assertTrue(result.ok(), String.valueOf(result.problem()));
            assertEquals(2, result.events());
        }

        @Test
        void aClosedStoreRefusesWrites() {
            store.close();
            assertThrows(StoreException.class, () -> store.audit(event("alice", 1)));
        }
    }
}
