package dev.writ.ca.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoredAuditEvent;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestCast;
import dev.writ.policy.Identity;
import dev.writ.protocol.api.RecordingVerification;
import dev.writ.protocol.api.RecordingView;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload pipeline and the reviewers' side with a real store, real files and a real bastion key pair. */
class RecordingUploadsTest {

    static final Instant NOW = Instant.parse("2026-11-21T08:00:00Z");
    static final byte[] CAST = TestCast.session("s-1", "alice@example.com", "root", "web01")
            .output(0.4, "$ ").output(1.25, "rm -rf /tmp/scratch\r\n").output(2.0, "$ exit\r\n").bytes();
    static final Identity AUDITOR = Identity.fromClaims("http://idp", Map.of("sub", "hal", "email", "hal@example.com"));

    static RecordingBastion bastion;
    static RecordingBastion impostor;

    @TempDir
    Path dir;
    Store store;
    RecordingFiles files;
    RecordingUploads uploads;
    RecordingReviews reviews;

    @BeforeAll
    static void keys() throws Exception {
        bastion = RecordingBastion.generate("bastion-1");
        impostor = RecordingBastion.generate("bastion-1");
    }

    @BeforeEach
    void open() throws Exception {
        store = Store.openSqlite(dir.resolve("writ.db"), nanos -> { });
        files = RecordingFiles.open(dir.resolve("recordings"));
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        uploads = new RecordingUploads(files, store, 4096, clock);
        reviews = new RecordingReviews(files, store, clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    RecordingUploads.Upload upload(String id, byte[] body) throws Exception {
        String sha256 = RecordingBastion.sha256Hex(body);
        return upload(id, body, sha256, bastion.sign(HexFormat.of().parseHex(sha256)));
    }

    RecordingUploads.Upload upload(String id, byte[] body, String sha256, String signature) throws Exception {
        return uploads.store(bastion.uploader(), new RecordingUploads.Requested(id, sha256, signature, false,
                new ByteArrayInputStream(body)), "10.0.0.1");
    }

    List<Path> keptFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(files.root())) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    void assertNothingStored() throws Exception {
        assertTrue(keptFiles().isEmpty(), "no file is left behind: " + keptFiles());
        assertTrue(store.recordings().find("r1").isEmpty());
    }

    @Nested
    class Accepted {

        @Test
        void storesTheFileReadOnlyIndexesItsFactsAndAuditsIt() throws Exception {
            RecordingUploads.Upload upload = upload("r1", CAST);

            assertTrue(upload.created());
            RecordingView view = upload.recording();
            assertEquals(List.of("r1", "s-1", "alice@example.com", "root", "web01", CAST.length + 0L, 2.0, false),
                    List.of(view.id(), view.sessionId(), view.identity(), view.login(), view.target(), view.size(),
                            view.durationSeconds(), view.truncated()));
            Path kept = keptFiles().get(0);
            assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
            assertTrue(java.util.Arrays.equals(CAST, Files.readAllBytes(kept)));
            List<StoredAuditEvent> events = store.auditEvents(0, 100);
            StoredAuditEvent last = events.get(events.size() - 1);
            assertEquals(List.of("recording.stored", "bastion:bastion-1"), List.of(last.type(), last.actor()));
            assertTrue(last.details().contains("\"identity\":\"alice@example.com\""), last.details());
            // the signed digest is in the hash chain, and so under the audit checkpoints
            String sha256 = RecordingBastion.sha256Hex(CAST);
            assertTrue(last.details().contains("\"sha256\":\"" + sha256 + "\""), last.details());
            assertTrue(last.details().contains("\"signature\":\"" + bastion.sign(HexFormat.of().parseHex(sha256)) + "\""),
                    last.details());
        }

        @Test
        void theSameFileAgainIsAcceptedWithoutStoringItTwice() throws Exception {
            upload("r1", CAST);

            RecordingUploads.Upload again = upload("r1", CAST);

            assertFalse(again.created());
            assertEquals(1, keptFiles().size());
        }

        @Test
        void findsItsOutputWithTheOffsetOfTheLine() throws Exception {
            upload("r1", CAST);

            List<RecordingView> found = reviews.search(AUDITOR, new RecordingReviews.Search("RM -rf", null, null, null, null, null), "10.0.0.2");

            assertEquals(1, found.size());
            assertEquals(List.of(new RecordingView.RecordingHit(1.25, "$ rm -rf /tmp/scratch")), found.get(0).hits());
            assertEquals("recording.searched", lastEvent().type());
        }

        @Test
        void verifiesTheStoredFileAndNoticesWhenItIsAltered() throws Exception {
            upload("r1", CAST);
            assertTrue(reviews.verify(AUDITOR, "r1", "10.0.0.2").ok());

            Path kept = keptFiles().get(0);
            Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(kept, new String(CAST).replace("scratch", "scratcH"));
            RecordingVerification altered = reviews.verify(AUDITOR, "r1", "10.0.0.2");

            assertFalse(altered.ok());
            assertFalse(altered.digestOk());
            assertTrue(altered.signatureOk());
            assertTrue(altered.problem().startsWith("the file's SHA-256 is "), altered.problem());
            assertEquals(List.of("recording.verified", "error"), List.of(lastEvent().type(), lastEvent().outcome()));
        }

        @Test
        void viewingIsAuditedWithWhoAndWhich() throws Exception {
            upload("r1", CAST);

            try (InputStream file = reviews.view(AUDITOR, "r1", "10.0.0.2").file()) {
                assertTrue(java.util.Arrays.equals(CAST, file.readAllBytes()));
            }
            assertEquals(List.of("recording.viewed", "hal@example.com"), List.of(lastEvent().type(), lastEvent().actor()));
        }
    }

    @Nested
    class Refused {

        @Test
        void aSignatureByAnotherKeyIs401AndNothingIsStored() throws Exception {
            String sha256 = RecordingBastion.sha256Hex(CAST);
            RequestRefused e = assertThrows(RequestRefused.class,
                    () -> upload("r1", CAST, sha256, impostor.sign(HexFormat.of().parseHex(sha256))));

            assertEquals(List.of(401, "bad_recording_signature"), List.of(e.status(), e.reason()));
            assertNothingStored();
        }

        @Test
        void aBodyThatIsNotWhatWasSignedIs400AndNothingIsStored() throws Exception {
            byte[] other = TestCast.session("s-1", "alice@example.com", "root", "web01").output(1, "innocent\n").bytes();
            String sha256 = RecordingBastion.sha256Hex(CAST);
            RequestRefused e = assertThrows(RequestRefused.class,
                    () -> upload("r1", other, sha256, bastion.sign(HexFormat.of().parseHex(sha256))));

            assertEquals(List.of(400, "digest_mismatch"), List.of(e.status(), e.reason()));
            assertNothingStored();
        }

        @Test
        void anotherFileUnderAStoredIdIs409AndTheFirstStays() throws Exception {
            upload("r1", CAST);
            byte[] other = TestCast.session("s-1", "alice@example.com", "root", "web01").output(1, "other\n").bytes();

            RequestRefused e = assertThrows(RequestRefused.class, () -> upload("r1", other));

            assertEquals(409, e.status());
            assertEquals(1, keptFiles().size());
            assertTrue(reviews.verify(AUDITOR, "r1", "x").ok());
        }

        @Test
        void aBodyOverTheLimitIs413AndNothingIsStored() throws Exception {
            byte[] big = TestCast.session("s-1", "a@x", "root", "web01").output(1, "x".repeat(5000)).bytes();
            RequestRefused e = assertThrows(RequestRefused.class, () -> upload("r1", big));

            assertEquals(413, e.status());
            assertNothingStored();
        }

        @Test
        void somethingOtherThanARecordingIs400() throws Exception {
            RequestRefused e = assertThrows(RequestRefused.class, () -> upload("r1", "hello\n".getBytes()));

            assertEquals("not a writ recording: the first line is not an asciicast v2 header: not JSON", e.detail());
            assertNothingStored();
        }

        @Test
        void malformedHeadersAndIdsAre400() {
            String sha256 = "00".repeat(32);
            assertEquals("bad_recording_id", assertThrows(RequestRefused.class, () -> upload("../etc", CAST)).reason());
            assertEquals("bad_recording_digest", assertThrows(RequestRefused.class, () -> upload("r1", CAST, "abc", "c2ln")).reason());
            assertEquals("bad_recording_signature", assertThrows(RequestRefused.class, () -> upload("r1", CAST, sha256, "***")).reason());
            assertEquals("bad_recording_signature", assertThrows(RequestRefused.class, () -> upload("r1", CAST, sha256, null)).reason());
            assertEquals("partial_upload", assertThrows(RequestRefused.class, () -> uploads.store(bastion.uploader(),
                    new RecordingUploads.Requested("r1", sha256, "c2ln", true, InputStream.nullInputStream()), "x")).reason());
        }
    }

    StoredAuditEvent lastEvent() throws Exception {
        List<StoredAuditEvent> events = store.auditEvents(0, 1000);
        return events.get(events.size() - 1);
    }
}
