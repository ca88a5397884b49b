package dev.writ.bastion.bench;

import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.ssh.Certificates;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * The load run's target: a MINA server in the driver's JVM whose one command, {@code hold TOKEN},
 * waits until the driver opens the {@linkplain #release() gate} (every session is open), then
 * {@code hold} longer, prints {@code done TOKEN} and exits 0 ({@code echo TOKEN}: the same at once). A MINA target rather than sshd: a
 * thousand sshd sessions are three thousand processes on the same two cores as the bastion, and
 * what is measured is the bastion. The waits run on one scheduler thread, not a thread a session.
 */
final class LoadTarget implements AutoCloseable {

    private final SshServer server;
    private final ScheduledExecutorService timer;
    private final CompletableFuture<Void> gate = new CompletableFuture<>();

    private LoadTarget(SshServer server, ScheduledExecutorService timer) {
        this.server = server;
        this.timer = timer;
    }

    static LoadTarget start(Path dir, TestCa ca, String name, Duration hold) throws Exception {
        KeyPair hostKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Path publicFile = Files.writeString(Files.createDirectories(dir).resolve("load_host.pub"),
                PublicKeyEntry.toString(hostKey.getPublic()) + "\n");
        Processes.Result signed = Processes.run(List.of("ssh-keygen", "-q", "-s", ca.keys().resolve("host_ca").toString(), "-h",
                "-I", "host " + name, "-n", name, "-V", "-5m:+1d", publicFile.toString()));
        if (signed.exitCode() != 0) {
            throw new IllegalStateException(signed.output());
        }
        OpenSshCertificate certificate = (OpenSshCertificate) PublicKeyEntry.parsePublicKeyEntry(
                Files.readString(dir.resolve("load_host-cert.pub")).strip()).resolvePublicKey(null, null, null);
        List<PublicKey> userCas = ca.get("/v1/ca/user.pub").body().lines()
                .map(line -> {
                    try {
                        return PublicKeyEntry.parsePublicKeyEntry(line).resolvePublicKey(null, null, null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        SshServer server = SshServer.setUpDefaultServer();
        LoadTarget target = new LoadTarget(server, timer);
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setHostKeyCertificateProvider(session -> List.of(certificate));
        server.setPublickeyAuthenticator((user, key, session) -> key instanceof OpenSshCertificate c
                && Certificates.signedBy(c, userCas) && c.getPrincipals().contains(user));
        server.setKeyboardInteractiveAuthenticator(null);
        server.setPasswordAuthenticator(null);
        server.setCommandFactory((channel, command) -> target.new Hold(command, hold));
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        server.start();
        return target;
    }

    int port() {
        return server.getPort();
    }

    /** Every session may now run to its end. */
    void release() {
        gate.complete(null);
    }

    @Override
    public void close() throws Exception {
        timer.shutdownNow();
        server.stop(true);
    }

    /**
     * {@code hold TOKEN}: after the gate and {@code hold}, prints {@code done TOKEN}; {@code echo
     * TOKEN} prints it at once; anything else exits 2.
     */
    private final class Hold implements Command {
        private final String command;
        private final Duration hold;
        private OutputStream out;
        private ExitCallback exit;

        Hold(String command, Duration hold) {
            this.command = command;
            this.hold = hold;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            if (command.startsWith("echo ")) {
                timer.execute(() -> finish(command.substring("echo ".length())));
                return;
            }
            if (!command.startsWith("hold ")) {
                exit.onExit(2, "unknown command");
                return;
            }
            String token = command.substring("hold ".length());
            gate.thenRun(() -> timer.schedule(() -> finish(token), hold.toMillis(), TimeUnit.MILLISECONDS));
        }

        private void finish(String token) {
            try {
                out.write(("done " + token + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                exit.onExit(0);
            } catch (IOException closed) {
                exit.onExit(1, "closed");
            }
        }

        @Override
        public void setInputStream(java.io.InputStream in) {
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }
}
