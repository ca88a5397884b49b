package dev.writ.ca.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.config.AuditSettings;
import dev.writ.ca.keys.AuditKeyFile;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit key file and the checkpoints it signs, on a real SQLite store. */
class CheckpointsTest {

    @TempDir
    Path dir;

    @Nested
    class TheAuditKey {
        @Test
        void isGeneratedOnceOwnerOnlyWithItsPublicHalfBeside() throws Exception {
            AuditKeyFile first = AuditKeyFile.loadOrCreate(dir.resolve("keys"), null);
            AuditKeyFile again = AuditKeyFile.loadOrCreate(dir.resolve("keys"), null);

            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys/audit_key"))));
            assertEquals(PublicKeys.toLine(first.publicKey()), PublicKeys.toLine(again.publicKey()));
            assertTrue(Files.readString(dir.resolve("keys/audit_key.pub")).startsWith(PublicKeys.toLine(first.publicKey()) + " "));
            assertEquals("ssh-ed25519", PublicKeys.toLine(first.publicKey()).split(" ")[0]);
        }

        @Test
        void isRefusedWhenOthersMayReadIt() throws Exception {
            AuditKeyFile.loadOrCreate(dir.resolve("keys"), null);
            Files.setPosixFilePermissions(dir.resolve("keys/audit_key"), PosixFilePermissions.fromString("rw-r--r--"));

            IOException e = assertThrows(IOException.class, () -> AuditKeyFile.loadOrCreate(dir.resolve("keys"), null));

            assertTrue(e.getMessage().endsWith("it holds a secret and must be readable by its owner only (chmod 600 "
                    + dir.resolve("keys/audit_key") + ")"), e.getMessage());
        }
    }

    @Test
    void aCheckpointSignsTheCommittedHeadOnceAndVerifiesWithTheAuditKey() throws Exception {
        AuditKeyFile key = AuditKeyFile.loadOrCreate(dir.resolve("keys"), null);
        Clock clock = Clock.fixed(Instant.parse("2026-11-18T09:00:00Z"), ZoneOffset.UTC);
        try (Store store = Store.openSqlite(dir.resolve("writ.db"), nanos -> { });
             Checkpoints checkpoints = new Checkpoints(store.checkpoints(), key, clock, AuditSettings.DEFAULT)) {
            assertTrue(checkpoints.checkpointNow().isEmpty()); // nothing to sign in an empty log
            for (int i = 0; i < 3; i++) {
                store.audit(new AuditEvent(clock.instant(), "test.event", "alice@example.com", AuditEvent.Outcome.ok, null,
                        Map.of("n", i)));
            }

            AuditCheckpoint checkpoint = checkpoints.checkpointNow().orElseThrow();
            AuditCheckpoint again = checkpoints.checkpointNow().orElseThrow();

            assertEquals(3, checkpoint.seq());
            assertEquals(store.auditEvents(2, 1).get(0).hash(), checkpoint.hash());
            assertEquals(PublicKeys.fingerprint(key.publicKey()), checkpoint.keyId());
            assertTrue(checkpoint.verify(key.publicKey()));
            assertEquals(checkpoint, again);
            assertEquals(1, store.checkpoints().between(0, Long.MAX_VALUE, 10).size());
        }
    }
}
