package dev.writ.bastion.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.ca.BastionCredential;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.testing.RecordingReceiver;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.protocol.recording.Asciicast;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads to a receiver that checks the bastion's JWT, the digest and the signature as the CA
 * does: the spool empties only once a digest is confirmed; failures are retried with backoff;
 * a rejected recording is moved aside and never holds up the others.
 */
class UploaderTest {

    @TempDir
    Path dir;
    RecordingReceiver receiver;
    BastionCredential credential;
    Spool spool;
    BastionMetrics metrics;
    Uploader uploader;

    @BeforeEach
    void start() throws Exception {
        String publicKey = RunningBastion.generateKey(dir.resolve("bastion"));
        credential = BastionCredential.load(RunningBastion.NAME, dir.resolve("bastion/bastion_key"), Clock.systemUTC());
        receiver = RecordingReceiver.start(publicKey);
        spool = Spool.open(dir.resolve("spool"));
        metrics = new BastionMetrics();
    }

    @AfterEach
    void stop() {
        if (uploader != null) {
            uploader.close();
        }
        receiver.close();
    }

    void startUploader(int attempts, Duration timeout) throws Exception {
        uploader = new Uploader(spool, new CaClient(URI.create(receiver.url()), null, credential), credential, metrics,
                attempts, Duration.ofSeconds(1), timeout);
        uploader.start();
    }

    Path recording(String id, String text) throws Exception {
        String header = Asciicast.headerLine(new Asciicast.Header(80, 24, 1_800_000_000L, null,
                Map.of("session_id", id, "identity", "alice@example.com", "login", "root", "target", "web01")));
        return Files.writeString(spool.done(id), header + "\n" + Asciicast.eventLine(new Asciicast.Event(0.5, "o", text)) + "\n");
    }

    @Test
    void uploadsSignedRecordingsAndEmptiesTheSpoolOnceTheDigestIsConfirmed() throws Exception {
        byte[] first = Files.readAllBytes(recording("s1-1", "one"));
        byte[] second = Files.readAllBytes(recording("s1-2", "two"));

        startUploader(3, Duration.ofSeconds(10));

        await(() -> spool.finished().isEmpty(), "the spool empties");
        assertArrayEquals(first, receiver.stored().get("s1-1"));
        assertArrayEquals(second, receiver.stored().get("s1-2"));
        assertEquals(List.of("s1-1 201", "s1-2 201"), receiver.attempts());
        assertTrue(metrics.scrape().contains("writ_bastion_recording_uploads_total{outcome=\"ok\"} 2.0"), metrics.scrape());
    }

    @Test
    void retriesWithBackoffUntilTheCaTakesIt() throws Exception {
        recording("s2-1", "retried");
        receiver.failNext(3, 503); // two attempts in the first round, one in the second, then stored

        startUploader(2, Duration.ofSeconds(10));

        await(() -> receiver.stored().containsKey("s2-1"), "stored after the failures");
        await(() -> spool.finished().isEmpty(), "the spool empties");
        assertEquals(List.of("s2-1 503", "s2-1 503", "s2-1 503", "s2-1 201"), receiver.attempts());
        assertTrue(metrics.scrape().contains("writ_bastion_recording_uploads_total{outcome=\"failed\"} 3.0"), metrics.scrape());
    }

    @Test
    void aRejectedRecordingIsMovedAsideAndTheOthersStillGo() throws Exception {
        recording("s3-1", "refused for good");
        recording("s3-2", "fine");
        receiver.reject(id -> id.equals("s3-1"));

        startUploader(3, Duration.ofSeconds(10));

        await(() -> receiver.stored().containsKey("s3-2"), "the next one stored");
        await(() -> spool.finished().isEmpty(), "the spool empties");
        assertTrue(Files.exists(spool.dir().resolve("rejected/s3-1.cast")));
        assertTrue(Files.readString(spool.dir().resolve("rejected/s3-1.reason")).startsWith("HTTP 400: rejected on purpose"));
        assertEquals(List.of("s3-1 400", "s3-2 201"), receiver.attempts(), "a rejection is not retried");
    }

    @Test
    void aSlowCaIsRetriedUntilItAnswersInTime() throws Exception {
        recording("s4-1", "slow");
        receiver.slow(Duration.ofSeconds(3));

        startUploader(1, Duration.ofSeconds(1));
        Thread.sleep(2_500);
        assertTrue(Files.exists(spool.done("s4-1")), "kept while uploads time out");
        receiver.slow(Duration.ZERO);

        await(() -> spool.finished().isEmpty(), "uploaded once the CA answers in time");
        assertTrue(receiver.stored().containsKey("s4-1"));
    }

    @Test
    void anUnauthorizedUploadIsNotARejectionOfTheFile() throws Exception {
        recording("s5-1", "kept");
        receiver.failNext(2, 401); // say, the CA does not know this bastion's key yet

        startUploader(1, Duration.ofSeconds(10));

        await(() -> receiver.stored().containsKey("s5-1"), "stored once the CA accepts the bastion");
        assertFalse(Files.exists(spool.dir().resolve("rejected/s5-1.cast")));
    }

    @Test
    void aLargeRecordingGoesInOnePiece() throws Exception {
        recording("s6-1", "x".repeat(300_000));
        recording("s6-2", "y".repeat(3_000_000));

        startUploader(1, Duration.ofSeconds(10));

        await(() -> spool.finished().isEmpty(), "uploaded");
        assertEquals(2, receiver.stored().size(), receiver.attempts().toString());
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out: " + what);
            Thread.sleep(50);
        }
    }
}
