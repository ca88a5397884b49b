package dev.writ.bastion.record;

import dev.writ.bastion.ca.BastionCredential;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.ca.CaException;
import dev.writ.bastion.metrics.BastionMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that hands finished recordings to the CA: {@code PUT /v1/recordings/{id}} with
 * the file's SHA-256 and the bastion's signature over it. The spool file is deleted only once the
 * CA answered 2xx with that same digest.
 *
 * <p>It works in rounds, oldest recording first (those that failed least first, so one that keeps
 * failing never holds up the others): each recording gets {@code attempts} tries with exponential
 * backoff. A 4xx that is about the file (bad recording, digest mismatch, too large, conflict)
 * moves it to {@code rejected/} at once; anything else (the CA down or slow, 5xx, 401/403/404/429)
 * is retried next round. Rounds start when a recording is finished, and after failures with a
 * backoff that doubles up to {@link #MAX_ROUND_DELAY}; an interrupted upload starts over after a
 * restart, since the spool still holds the file.
 */
final class Uploader implements AutoCloseable {

    static final Duration MAX_ROUND_DELAY = Duration.ofMinutes(5);
    /** Without news, the spool is looked at this often anyway. */
    static final Duration IDLE_ROUND = Duration.ofMinutes(1);
    /** Statuses that say nothing about the file: retried. */
    private static final Set<Integer> TRANSIENT = Set.of(401, 403, 404, 408, 425, 429);
    private static final Logger LOG = LoggerFactory.getLogger(Uploader.class);

    enum Outcome { STORED, REJECTED, FAILED, UNREACHABLE }

    private final Spool spool;
    private final CaClient ca;
    private final BastionCredential credential;
    private final BastionMetrics metrics;
    private final int attempts;
    private final Duration backoff;
    private final Duration timeout;
    private final Map<String, Integer> failures = new HashMap<>();
    private final Semaphore wakeups = new Semaphore(0);
    private final Thread thread;
    private volatile boolean stopping;

    Uploader(Spool spool, CaClient ca, BastionCredential credential, BastionMetrics metrics, int attempts, Duration backoff,
             Duration timeout) {
        this.spool = spool;
        this.ca = ca;
        this.credential = credential;
        this.metrics = metrics;
        this.attempts = attempts;
        this.backoff = backoff;
        this.timeout = timeout;
        this.thread = new Thread(this::run, "writ-recording-uploader");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** A recording was finished: start a round now (or after the current one). */
    void wake() {
        if (wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    private void run() {
        Duration failedRoundDelay = firstRoundDelay();
        Duration wait = Duration.ZERO; // the first round at once: what the last run left
        while (!stopping) {
            try {
                wakeups.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
            } catch (InterruptedException e) {
                break;
            }
            if (stopping) {
                break;
            }
            if (round()) {
                wait = failedRoundDelay;
                failedRoundDelay = min(failedRoundDelay.multipliedBy(2), MAX_ROUND_DELAY);
            } else {
                wait = IDLE_ROUND;
                failedRoundDelay = firstRoundDelay();
            }
        }
    }

    /** Uploads what the spool holds; true when something is left for a later round. */
    boolean round() {
        List<Path> files = new ArrayList<>(spool.finished());
        files.sort(Comparator.comparing((Path f) -> failures.getOrDefault(Spool.id(f), 0)));
        failures.keySet().retainAll(files.stream().map(Spool::id).toList());
        boolean left = false;
        for (Path file : files) {
            if (stopping) {
                return true;
            }
            Outcome outcome = upload(file);
            if (outcome == Outcome.FAILED || outcome == Outcome.UNREACHABLE) {
                failures.merge(Spool.id(file), 1, Integer::sum);
                left = true;
            }
            if (outcome == Outcome.UNREACHABLE) {
                return true; // the CA cannot be reached: the others would fare no better
            }
        }
        return left;
    }

    /** Up to {@code attempts} tries of one recording. */
    private Outcome upload(Path file) {
        Outcome outcome = Outcome.FAILED;
        for (int attempt = 1; attempt <= attempts && !stopping; attempt++) {
            outcome = once(file);
            if (outcome == Outcome.STORED || outcome == Outcome.REJECTED) {
                return outcome;
            }
            if (attempt < attempts && sleep(backoff.multipliedBy(1L << (attempt - 1)))) {
                break;
            }
        }
        return outcome;
    }

    private Outcome once(Path file) {
        String id = Spool.id(file);
        String sha256;
        String signature;
        long size;
        try {
            size = Files.size(file);
            byte[] digest = sha256(file);
            sha256 = HexFormat.of().formatHex(digest);
            signature = Base64.getEncoder().encodeToString(credential.signRecording(digest));
        } catch (IOException e) {
            LOG.error("recording {}: cannot read it for upload: {}", id, Spool.describe(e));
            metrics.recordingUpload("failed");
            return Outcome.FAILED;
        } catch (GeneralSecurityException e) {
            LOG.error("recording {}: cannot sign it: {}", id, e.getMessage());
            metrics.recordingUpload("failed");
            return Outcome.FAILED;
        }
        try {
            String stored = ca.putRecording(id, file, sha256, signature, timeout);
            if (!sha256.equalsIgnoreCase(stored)) {
                LOG.error("recording {}: the CA answered with digest '{}', not {}; keeping it", id, stored, sha256);
                metrics.recordingUpload("failed");
                return Outcome.FAILED;
            }
            Files.delete(file);
            metrics.recordingUpload("ok");
            LOG.info("recording {} uploaded ({} bytes, sha256 {})", id, size, sha256);
            return Outcome.STORED;
        } catch (CaException e) {
            return refused(file, id, e);
        } catch (IOException e) {
            LOG.error("recording {}: stored at the CA, but cannot be deleted from the spool: {}", id, Spool.describe(e));
            metrics.recordingUpload("ok");
            return Outcome.STORED;
        }
    }

    private Outcome refused(Path file, String id, CaException e) {
        int status = e.status();
        if (status >= 400 && status < 500 && !TRANSIENT.contains(status)) {
            metrics.recordingUpload("rejected");
            LOG.error("recording {}: the CA refused it for good (HTTP {}: {}); moving it to {}", id, status, e.getMessage(),
                    Spool.REJECTED + "/");
            try {
                spool.reject(file, id, "HTTP " + status + ": " + e.getMessage());
            } catch (IOException moveFailed) {
                LOG.error("recording {}: cannot move it aside: {}", id, Spool.describe(moveFailed));
                return Outcome.FAILED;
            }
            return Outcome.REJECTED;
        }
        metrics.recordingUpload("failed");
        LOG.warn("recording {}: upload failed ({}), will retry", id, status == 0 ? e.getMessage() : "HTTP " + status + ": "
                + e.getMessage());
        return status == 0 ? Outcome.UNREACHABLE : Outcome.FAILED;
    }

    static byte[] sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return digest.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Sleeps; true when woken by close. */
    private boolean sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
            return stopping;
        } catch (InterruptedException e) {
            return true;
        }
    }

    /** After a round with failures: as long as the next attempt's backoff would have been. */
    private Duration firstRoundDelay() {
        return min(backoff.multipliedBy(1L << attempts), MAX_ROUND_DELAY);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
