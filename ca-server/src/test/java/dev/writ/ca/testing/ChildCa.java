package dev.writ.ca.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real CA in a JVM of its own ({@code dev.writ.ca.Main --config}, this JVM's class path), with a
 * heap limit of its own: for showing what the CA does within bounded memory.
 */
public final class ChildCa implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("writ CA listening on (http://127\\.0\\.0\\.1:\\d+)");

    private final Process process;
    private final Path log;
    private final String url;

    private ChildCa(Process process, Path log, String url) {
        this.process = process;
        this.log = log;
        this.url = url;
    }

    /**
     * Starts a CA with {@code maxHeap} (e.g. {@code 64m}) whose config, policy and data live in
     * {@code dir}, trusting {@code issuerUrl}; {@code extraConfig} is appended to its config.
     */
    public static ChildCa start(Path dir, String maxHeap, String issuerUrl, String policyYaml, String extraConfig)
            throws Exception {
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/policy.yaml"), policyYaml);
        Path config = dir.resolve("ca.yaml");
        Files.writeString(config, """
                listen: 127.0.0.1:0
                store: sqlite:./data/writ.db
                keys: ./data/keys
                policies: ./policies
                issuers:
                  - url: %s
                    audience: writ
                """.formatted(issuerUrl) + extraConfig);
        return start(config, dir.resolve("ca.log"), maxHeap);
    }

    /**
     * Starts a CA with {@code maxHeap} from the config file {@code config} as it stands (e.g. one
     * replica of several sharing a database), its output in {@code log}.
     */
    public static ChildCa start(Path config, Path log, String maxHeap) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                "dev.writ.ca.Main", "--config", config.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(240));
        while (Instant.now().isBefore(deadline)) {
            Matcher listening = LISTENING.matcher(Files.readString(log));
            if (listening.find()) {
                return new ChildCa(process, log, listening.group(1));
            }
            if (!process.isAlive()) {
                throw new IOException("the CA exited (" + process.exitValue() + "): " + Files.readString(log));
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IOException("the CA did not start within 240 s: " + Files.readString(log));
    }

    public String url() {
        return url;
    }

    public boolean alive() {
        return process.isAlive();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** Kills the CA as {@code kill -9} does (SIGKILL: no shutdown hook, no clean close) and waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the CA did not die within 30 s of SIGKILL");
        }
    }

    /** The most resident memory the process has had (VmHWM), in MiB; -1 where /proc does not say. */
    public long peakResidentMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or gone
        }
        return -1;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
