package dev.writ.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code ssh} running a command that prints {@code ready} and then waits (for instance
 * {@code echo ready; sleep 60}): constructed once the session is past its login and the command
 * runs, its further output read as it comes, so that a test can end the session some other way
 * (revocation, expiry, an admin) and see what the engineer saw.
 */
public final class RunningSsh implements AutoCloseable {

    private final Process process;
    private final StringBuilder output = new StringBuilder();

    public RunningSsh(List<String> command) throws Exception {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        // the bastion's notices (a short certificate's expiry warning) may come before the command's output
        for (String line; !"ready".equals(line = reader.readLine()); ) {
            assertTrue(line != null, "the session did not start: " + output());
            append(line);
        }
        Thread reading = new Thread(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    append(line);
                }
            } catch (Exception ended) {
                // the process ended
            }
        });
        reading.setDaemon(true);
        reading.start();
    }

    private void append(String line) {
        synchronized (output) {
            output.append(line).append('\n');
        }
    }

    public Process process() {
        return process;
    }

    /** When the process ended, failing after {@code seconds}. */
    public Instant awaitEnd(int seconds) throws Exception {
        assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "ssh still running after " + seconds + " s: " + output());
        Instant ended = Instant.now();
        Thread.sleep(200); // the last lines
        return ended;
    }

    /** Milliseconds from {@code startNanos} until the process ended, failing after {@code seconds}. */
    public long awaitEnd(long startNanos, int seconds) throws Exception {
        assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "ssh still running after " + seconds + " s: " + output());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        Thread.sleep(200); // the last lines
        return millis;
    }

    public String output() {
        synchronized (output) {
            return output.toString();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
