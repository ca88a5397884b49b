package dev.writ.e2e.recording;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bastion as it runs in production, a JVM of its own ({@code dev.writ.bastion.Main --config
 * FILE}, on this test's class path), so that it can be killed with SIGKILL and started again on
 * the same config and spool. Each start logs to its own {@code bastion-N.log} beside the config.
 */
final class BastionProcess implements AutoCloseable {

    static final Duration STARTUP = Duration.ofSeconds(60);
    /** {@code Main}'s line once it accepts connections (the config says {@code listen: 127.0.0.1:0}). */
    static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final int port;
    private final Path log;

    private BastionProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static BastionProcess start(Path config) throws Exception {
        Path log = config.resolveSibling("bastion-1.log");
        for (int n = 2; Files.exists(log); n++) {
            log = config.resolveSibling("bastion-" + n + ".log");
        }
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "dev.writ.bastion.Main", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            Matcher listening = LISTENING.matcher(Files.readString(log));
            if (listening.find()) {
                return new BastionProcess(process, Integer.parseInt(listening.group(1)), log);
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("the bastion did not start within " + STARTUP + ": " + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    int port() {
        return port;
    }

    String log() throws Exception {
        return Files.readString(log);
    }

    /** {@code kill -9}: no shutdown hook, no flush, no close. The exit status (128 + 9 when it was SIGKILL). */
    int kill() throws Exception {
        process.destroyForcibly(); // SIGKILL on Linux
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the bastion outlived SIGKILL by 10 s");
        }
        return process.exitValue();
    }

    /** SIGTERM: the bastion closes its sessions and recordings in its shutdown hook. */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
