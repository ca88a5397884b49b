package dev.writ.ca.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.HostProvenance;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.JoinToken;
import dev.writ.ca.store.JoinTokenSpentException;
import dev.writ.ca.store.SerialConflictException;
import dev.writ.ca.store.Store;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import dev.writ.ca.testing.TestDatabase;

/** The store's part of host certificates: a join token is spent in the transaction that records the certificate, or not at all. */
@ParameterizedClass
@EnumSource(TestDatabase.Kind.class)
class HostStoreTest {

    static final Instant NOW = Instant.parse("2026-11-21T08:00:00Z");

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

    static IssuedCertificate hostCertificate(long serial) {
        return new IssuedCertificate(serial, "host", "join-token:abc", List.of("web07.example.com"), NOW.minusSeconds(60),
                NOW.plusSeconds(86_400), "SHA256:abc", "join-token:abc", "writ:join-token", "127.0.0.1", List.of(), NOW);
    }

    static AuditEvent issued(long serial) {
        return new AuditEvent(NOW, "certificate.issued", "join-token:abc", AuditEvent.Outcome.ok, "127.0.0.1",
                Map.of("serial", Long.toUnsignedString(serial)));
    }

    String newToken(Instant expiresAt) throws Exception {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String hash = HexFormat.of().formatHex(random);
        store.createJoinToken(new JoinToken(hash, List.of("web07.example.com"), "alice@example.com", NOW.minusSeconds(60),
                expiresAt, null, null), new AuditEvent(NOW, "join_token.created", "alice@example.com",
                AuditEvent.Outcome.ok, null, Map.of()));
        return hash;
    }

    long count(String sql) throws Exception {
        return db.count(sql);
    }

    @Test
    void spendsTheTokenOnTheCertificateItRecords() throws Exception {
        String token = newToken(NOW.plusSeconds(1800));
        store.recordHostIssuance(hostCertificate(1), HostProvenance.joinToken("joined", token), issued(1));
        JoinToken stored = store.joinToken(token).orElseThrow();
        assertEquals(NOW, stored.usedAt());
        assertEquals(1L, stored.usedSerial());
        assertEquals(HostProvenance.joinToken("joined", token), store.hostProvenance(1).orElseThrow());
    }

    @Test
    void aSpentTokenTakesBackTheCertificateAlreadyWrittenInItsTransaction() throws Exception {
        String token = newToken(NOW.plusSeconds(1800));
        store.recordHostIssuance(hostCertificate(1), HostProvenance.joinToken("joined", token), issued(1));
        assertThrows(JoinTokenSpentException.class,
                () -> store.recordHostIssuance(hostCertificate(2), HostProvenance.joinToken("joined", token), issued(2)));
        assertTrue(store.certificate(2).isEmpty(), "the certificate inserted before the token check is rolled back");
        assertTrue(store.hostProvenance(2).isEmpty());
        assertEquals(0, count("SELECT COUNT(*) FROM audit_events WHERE details LIKE '%\"serial\":\"2\"%'"));
        assertTrue(store.verifyAudit().ok());
    }

    @Test
    void anExpiredTokenIsNeverSpent() throws Exception {
        String token = newToken(NOW);
        assertThrows(JoinTokenSpentException.class,
                () -> store.recordHostIssuance(hostCertificate(3), HostProvenance.joinToken("joined", token), issued(3)));
        assertTrue(store.joinToken(token).orElseThrow().usedAt() == null);
        assertTrue(store.certificate(3).isEmpty());
    }

    @Test
    void aRepeatedSerialLeavesTheTokenUnspent() throws Exception {
        String token = newToken(NOW.plusSeconds(1800));
        store.recordHostIssuance(hostCertificate(4), HostProvenance.workload("web-fleet"), issued(4));
        assertThrows(SerialConflictException.class,
                () -> store.recordHostIssuance(hostCertificate(4), HostProvenance.joinToken("joined", token), issued(4)));
        assertTrue(store.joinToken(token).orElseThrow().usedAt() == null);
        store.recordHostIssuance(hostCertificate(5), HostProvenance.joinToken("joined", token), issued(5));
    }

    @Test
    void concurrentSpendsOfOneTokenInOneBatchLeaveOneCertificateAndAnUnbrokenChain() throws Exception {
        String token = newToken(NOW.plusSeconds(1800));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> writes = new ArrayList<>();
        for (long serial = 100; serial < 132; serial++) {
            long s = serial;
            // every other write is an unrelated workload certificate, committed in the same batches
            HostProvenance provenance = s % 2 == 0 ? HostProvenance.joinToken("joined", token) : HostProvenance.workload("web-fleet");
            writes.add(pool.submit(() -> {
                store.recordHostIssuance(hostCertificate(s), provenance, issued(s));
                return null;
            }));
        }
        int spent = 0;
        int refused = 0;
        for (Future<?> write : writes) {
            try {
                write.get();
                spent++;
            } catch (ExecutionException e) {
                assertInstanceOf(JoinTokenSpentException.class, e.getCause());
                refused++;
            }
        }
        pool.shutdown();
        assertEquals(17, spent, "16 workload certificates and one join");
        assertEquals(15, refused);
        assertEquals(17, count("SELECT COUNT(*) FROM certificates"));
        assertEquals(17, count("SELECT COUNT(*) FROM host_certificates"));
        assertEquals(1, count("SELECT COUNT(*) FROM host_certificates WHERE via = 'join_token'"));
        assertTrue(store.verifyAudit().ok());
        assertFalse(store.isRevoked(100, "alice@example.com", "SHA256:abc"));
    }
}
