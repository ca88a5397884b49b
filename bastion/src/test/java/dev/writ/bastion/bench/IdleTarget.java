package dev.writ.bastion.bench;

import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.ssh.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;

/**
 * A lightweight target for the concurrency benchmark: a MINA server in the benchmark's JVM whose
 * shell does nothing until closed. A thousand real sshd sessions would be three thousand
 * processes; what is measured is the bastion's heap, not the target's.
 */
final class IdleTarget implements AutoCloseable {

    private final SshServer server;

    private IdleTarget(SshServer server) {
        this.server = server;
    }

    static IdleTarget start(Path dir, TestCa ca, String name) throws Exception {
        KeyPair hostKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Path publicFile = Files.writeString(Files.createDirectories(dir).resolve("idle_host.pub"),
                PublicKeyEntry.toString(hostKey.getPublic()) + "\n");
        Processes.Result signed = Processes.run(List.of("ssh-keygen", "-q", "-s", ca.keys().resolve("host_ca").toString(), "-h",
                "-I", "host " + name, "-n", name, "-V", "-5m:+1d", publicFile.toString()));
        if (signed.exitCode() != 0) {
            throw new IllegalStateException(signed.output());
        }
        OpenSshCertificate certificate = (OpenSshCertificate) PublicKeyEntry.parsePublicKeyEntry(
                Files.readString(dir.resolve("idle_host-cert.pub")).strip()).resolvePublicKey(null, null, null);
        List<PublicKey> userCas = ca.get("/v1/ca/user.pub").body().lines()
                .map(line -> {
                    try {
                        return PublicKeyEntry.parsePublicKeyEntry(line).resolvePublicKey(null, null, null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setHostKeyCertificateProvider(session -> List.of(certificate));
        server.setPublickeyAuthenticator((user, key, session) -> key instanceof OpenSshCertificate c
                && Certificates.signedBy(c, userCas) && c.getPrincipals().contains(user));
        server.setKeyboardInteractiveAuthenticator(null);
        server.setPasswordAuthenticator(null);
        server.setShellFactory(channel -> new Idle());
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        server.start();
        return new IdleTarget(server);
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() throws Exception {
        server.stop(true);
    }

    /** A shell that never says anything and ends when its channel closes. */
    private static final class Idle implements Command {
        @Override
        public void setInputStream(java.io.InputStream in) {
        }

        @Override
        public void setOutputStream(java.io.OutputStream out) {
        }

        @Override
        public void setErrorStream(java.io.OutputStream err) {
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }
}
