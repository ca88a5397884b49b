package dev.writ.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.store.RevocationTable.By;
import dev.writ.ca.store.RevocationTable.Entry;
import dev.writ.ca.store.RevocationTable.Revoked;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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

/** The one revocation table: idempotent entries with their audit event, the checks that read it, and V6's merge. */
@ParameterizedClass
@EnumSource(TestDatabase.Kind.class)
class RevocationTableTest {

    static final Instant NOW = Instant.parse("2026-11-21T08:00:00Z");

    @Parameter
    TestDatabase.Kind kind;
    @TempDir
    Path dir;
    TestDatabase db;
    Store store;

    @BeforeEach
    void create() {
        db = kind.create(dir);
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
        db.close();
    }

    Store open() throws StoreException {
        store = db.open();
        return store;
    }

    long count(String sql) throws SQLException {
        return db.count(sql);
    }

    static AuditEvent event(Revoked revoked) {
        return new AuditEvent(NOW, "revocation.created", "admin@example.com", AuditEvent.Outcome.ok, null,
                Map.of("added", revoked.added().size()));
    }

    static IssuedCertificate certificate(long serial, String identity, Instant validBefore) {
        return new IssuedCertificate(serial, "user", identity, List.of("alice"), NOW.minusSeconds(60), validBefore,
                "SHA256:key" + serial, identity, "http://127.0.0.1/idp", "127.0.0.1", List.of("engineer"), NOW);
    }

    @Nested
    class Revoking {

        @Test
        void addsEachEntryOnceWithItsAuditEventAndCountsTheVersionUp() throws Exception {
            RevocationTable table = open().revocations();
            assertEquals(0, table.version());

            Revoked first = table.revoke(List.of(Entry.serial(7), Entry.keyId("bob@example.com")), "left", "admin@example.com",
                    NOW, r -> List.of(event(r)));
            Revoked again = table.revoke(List.of(Entry.serial(7), Entry.keyFingerprint("SHA256:abc")), "again",
                    "admin@example.com", NOW, r -> List.of(event(r)));

            assertEquals(List.of(Entry.serial(7), Entry.keyId("bob@example.com")), first.added());
            assertEquals(2, first.version());
            assertEquals(List.of(Entry.keyFingerprint("SHA256:abc")), again.added());
            assertEquals(List.of(Entry.serial(7)), again.already());
            assertEquals(3, again.version());
            assertEquals(3, table.version());
            assertEquals(3, count("SELECT COUNT(*) FROM revocations"));
            assertEquals(2, count("SELECT COUNT(*) FROM audit_events WHERE type = 'revocation.created'"));
            assertTrue(store.verifyAudit().ok());
        }

        @Test
        void nothingNewLeavesTheVersionAlone() throws Exception {
            RevocationTable table = open().revocations();
            table.revoke(List.of(Entry.serial(7)), "left", "admin@example.com", NOW, r -> List.of());

            Revoked again = table.revoke(List.of(Entry.serial(7), Entry.serial(7)), "twice", "admin@example.com", NOW,
                    r -> List.of());

            assertEquals(List.of(), again.added());
            assertEquals(1, again.version());
        }

        @Test
        void anEntryNamesExactlyOneThing() {
            assertThrows(IllegalArgumentException.class, () -> new Entry(1L, "alice@example.com", null));
            assertThrows(IllegalArgumentException.class, () -> new Entry(null, null, null));
        }
    }

    @Nested
    class Checking {

        @Test
        void aCertificateIsRevokedBySerialKeyIdOrKey() throws Exception {
            Store store = open();
            store.revocations().revoke(List.of(Entry.serial(7), Entry.keyId("bob@example.com"),
                    Entry.keyFingerprint("SHA256:carol")), "test", "admin@example.com", NOW, r -> List.of());

            assertTrue(store.isRevoked(7, "alice@example.com", "SHA256:alice"));
            assertTrue(store.isRevoked(8, "bob@example.com", "SHA256:bob"));
            assertTrue(store.isRevoked(9, "carol@example.com", "SHA256:carol"));
            assertFalse(store.isRevoked(10, "dave@example.com", "SHA256:dave"));
        }

        @Test
        void findsTheCertificatesOfAnIdentityThatHaveNotExpired() throws Exception {
            Store store = open();
            store.recordIssuance(certificate(1, "erin@example.com", NOW.plusSeconds(3600)), event(new Revoked(List.of(),
                    List.of(), 0)));
            store.recordIssuance(certificate(2, "erin@example.com", NOW.minusSeconds(1)), event(new Revoked(List.of(),
                    List.of(), 0)));
            store.recordIssuance(certificate(3, "frank@example.com", NOW.plusSeconds(3600)), event(new Revoked(List.of(),
                    List.of(), 0)));

            List<IssuedCertificate> unexpired = store.revocations().certificates(By.IDENTITY, "erin@example.com", NOW, 100);
            List<IssuedCertificate> all = store.revocations().certificates(By.IDENTITY, "erin@example.com", null, 100);

            assertEquals(List.of(1L), unexpired.stream().map(IssuedCertificate::serial).toList());
            assertEquals(2, all.size());
            assertEquals(1, store.revocations().certificates(By.SERIAL, 3L, null, 1).size());
        }
    }

    @Nested
    class MigrationV6 {

        @Test
        void movesTheRevokedSerialsOfV2IntoTheOneTableAndDropsTheirs() throws Exception {
            db.close();
            db = kind.createEmpty(dir);
            db.migrateTo("4");
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO revoked_serials (serial, revoked_at, reason) VALUES (42, 1000, 'key lost'),"
                        + " (43, 2000, 'host gone')");
                s.executeUpdate("INSERT INTO revocations (id, serial, reason, revoked_by, revoked_at) VALUES (1, 43, 'already',"
                        + " 'admin@example.com', 1500)");
            }

            Store store = open();

            assertTrue(store.isRevoked(42, "x", "SHA256:x"));
            assertTrue(store.isRevoked(43, "x", "SHA256:x"));
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = 42 AND reason = 'key lost'"
                    + " AND revoked_by = 'writ' AND revoked_at = 1000"));
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = 43"));
            assertEquals(2, store.revocations().version());
            assertFalse(db.hasTable("revoked_serials"));
        }
    }
}
