package dev.writ.bastion.testing;

import dev.writ.bastion.Bastion;
import dev.writ.bastion.config.BastionConfig;
import dev.writ.bastion.config.ConfigLoader;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.ca.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * A real bastion started in-process on a loopback port, with its key and config in a directory
 * of the test's. Its key must be registered at the CA first: {@link #registration}.
 */
public final class RunningBastion implements AutoCloseable {

    public static final String NAME = "test-bastion";

    private final Bastion bastion;
    private final Path dir;

    private RunningBastion(Bastion bastion, Path dir) {
        this.bastion = bastion;
        this.dir = dir;
    }

    /** Generates the bastion's key in {@code dir} (the real ssh-keygen, mode 0600) and returns its public line. */
    public static String generateKey(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path key = dir.resolve("bastion_key");
        if (!Files.exists(key)) {
            Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bastion",
                    "-f", key.toString()));
            if (keygen.exitCode() != 0) {
                throw new IllegalStateException("ssh-keygen failed: " + keygen.output());
            }
        }
        return Files.readString(dir.resolve("bastion_key.pub")).strip();
    }

    /** The CA config's {@code bastions:} entry for this bastion: loopback addresses, its names and the targets'. */
    public static String registration(String publicKeyLine, List<String> hostnamePatterns) {
        return "bastions:\n  - name: " + NAME + "\n    public_key: \"" + publicKeyLine + "\"\n"
                + "    addresses: [\"127.0.0.1/32\", \"::1/128\"]\n"
                + "    hostnames: [" + String.join(", ", hostnamePatterns.stream().map(h -> "\"" + h + "\"").toList()) + "]\n";
    }

    /**
     * Starts a bastion on 127.0.0.1 (port chosen by the system) talking to the CA at {@code caUrl};
     * {@code extraYaml} adds config keys (targets, krl, recordings, ...). {@code recorder} null: the
     * bastion's own recorder, spooling under {@code dir/recordings} unless the config says otherwise.
     */
    public static RunningBastion start(Path dir, String caUrl, String extraYaml, Clock clock, SessionRecorder recorder)
            throws Exception {
        generateKey(dir);
        BastionConfig config = ConfigLoader.load(writeConfig(dir, 0, caUrl, extraYaml));
        return new RunningBastion(Bastion.start(config, clock, recorder), dir);
    }

    /**
     * Writes {@code dir/bastion.yaml} for this bastion (its key {@code dir/bastion_key}) on
     * 127.0.0.1:{@code port} (0: chosen by the system), talking to the CA at {@code caUrl}, with
     * metrics on a loopback port and {@code extraYaml}'s keys; for a bastion in a JVM of its own too.
     */
    public static Path writeConfig(Path dir, int port, String caUrl, String extraYaml) throws IOException {
        return Files.writeString(dir.resolve("bastion.yaml"), """
                listen: 127.0.0.1:%d
                name: %s
                key: ./bastion_key
                hostnames: [127.0.0.1, localhost]
                ca:
                  url: %s
                metrics: 127.0.0.1:0
                """.formatted(port, NAME, caUrl) + extraYaml);
    }

    /** As {@link #start(Path, String, String, Clock, SessionRecorder)}, with {@code caYaml} (indented keys) in its ca: section. */
    public static RunningBastion start(Path dir, String caUrl, String caYaml, String extraYaml) throws Exception {
        generateKey(dir);
        Path file = writeConfig(dir, 0, caUrl, extraYaml);
        Files.writeString(file, Files.readString(file).replace("  url: " + caUrl + "\n", "  url: " + caUrl + "\n" + caYaml));
        return new RunningBastion(Bastion.start(ConfigLoader.load(file), Clock.systemUTC(), SessionRecorder.NONE), dir);
    }

    public static RunningBastion start(Path dir, String caUrl, String extraYaml) throws Exception {
        return start(dir, caUrl, extraYaml, Clock.systemUTC(), SessionRecorder.NONE);
    }

    public int port() {
        return bastion.port();
    }

    public int metricsPort() {
        return bastion.metricsPort();
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        bastion.close();
    }
}
