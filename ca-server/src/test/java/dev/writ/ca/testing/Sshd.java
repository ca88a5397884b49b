package dev.writ.ca.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real OpenSSH server ({@code /usr/sbin/sshd}) on a loopback port, with its own config, host
 * key and log in a directory of the test's. It logs in the user running the tests.
 */
public final class Sshd implements AutoCloseable {

    public static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Process process;
    private final int port;
    private final Path dir;
    private final Path log;

    private Sshd(Process process, int port, Path dir, Path log) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.log = log;
    }

    public static Builder in(Path dir) {
        return new Builder(dir);
    }

    public int port() {
        return port;
    }

    /** The host's own public key (ssh-ed25519). */
    public Path hostPublicKey() {
        return dir.resolve("ssh_host_ed25519_key.pub");
    }

    public Path hostPrivateKey() {
        return dir.resolve("ssh_host_ed25519_key");
    }

    /** Everything sshd logged so far (LogLevel VERBOSE: accepted certificates name their key id and serial). */
    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /**
     * What a host does after {@code writ host renew} wrote a new host certificate: SIGHUP, on
     * which sshd reads its files again; returns once it listens again.
     */
    public void reload() throws IOException, InterruptedException {
        int before = log().split("Server listening on", -1).length;
        Processes.Result hup = Processes.run(List.of("kill", "-HUP", Long.toString(process.pid())));
        if (hup.exitCode() != 0) {
            throw new IOException("kill -HUP failed: " + hup.output());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log().split("Server listening on", -1).length == before) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IOException("sshd did not listen again after SIGHUP:\n" + log());
            }
            Thread.sleep(50);
        }
    }

    /** The name of the user the tests run as: the login sshd accepts. */
    public static String currentUser() {
        return System.getProperty("user.name");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    public static final class Builder {
        private final Path dir;
        private final List<String> config = new ArrayList<>();

        private Builder(Path dir) {
            this.dir = dir;
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** Writes the CA keys to trust for user certificates ({@code TrustedUserCAKeys}). */
        public Builder trustedUserCaKeys(String keys) throws IOException {
            Path file = Files.writeString(dir.resolve("trusted_user_ca_keys"), keys);
            return option("TrustedUserCAKeys " + file);
        }

        /** Presents this host certificate (for the host key in {@link #hostPrivateKey()}). */
        public Builder hostCertificate(Path certificate) {
            return option("HostCertificate " + certificate);
        }

        public Builder option(String line) {
            config.add(line);
            return this;
        }

        public Sshd start() throws IOException, InterruptedException {
            if (!Files.isExecutable(SSHD)) {
                throw new IllegalStateException(SSHD + " is missing: run the tests through ./dev test, which installs openssh-server");
            }
            Files.createDirectories(dir);
            Path hostKey = dir.resolve("ssh_host_ed25519_key");
            if (!Files.exists(hostKey)) {
                Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-host",
                        "-f", hostKey.toString()));
                if (keygen.exitCode() != 0) {
                    throw new IOException("ssh-keygen failed: " + keygen.output());
                }
            }
            int port = freePort();
            Path configFile = dir.resolve("sshd_config");
            List<String> lines = new ArrayList<>(List.of(
                    "Port " + port,
                    "ListenAddress 127.0.0.1",
                    "HostKey " + hostKey,
                    "PidFile " + dir.resolve("sshd.pid"),
                    "AuthorizedKeysFile none",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "UsePAM no",
                    "StrictModes no",
                    "LogLevel VERBOSE",
                    "PermitRootLogin prohibit-password",
                    "MaxStartups 100:30:200",
                    "Subsystem sftp internal-sftp"));
            lines.addAll(config);
            Files.write(configFile, lines);
            Files.setPosixFilePermissions(configFile, PosixFilePermissions.fromString("rw-------"));
            Path log = dir.resolve("sshd.log");
            Process process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", configFile.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Sshd sshd = new Sshd(process, port, dir, log);
            awaitListening(sshd, process, port);
            return sshd;
        }

        private static void awaitListening(Sshd sshd, Process process, int port) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException("sshd exited with " + process.exitValue() + ": " + sshd.log());
                }
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            sshd.close();
            throw new IOException("sshd did not listen on port " + port + " within 10 s: " + sshd.log());
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        }
    }
}
