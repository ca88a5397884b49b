package dev.writ.agent.identity;

import dev.writ.agent.Durations;
import dev.writ.agent.Env;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.sshagent.AgentClient;
import dev.writ.agent.sshagent.AgentKey;
import dev.writ.agent.sshagent.AgentServer;
import dev.writ.agent.sshagent.Certificate;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;

/**
 * Hands a key and its certificate to the user's own ssh-agent ({@code $SSH_AUTH_SOCK}) for as
 * long as the certificate is valid. An agent that is missing or refuses (some do not take
 * certificates or lifetimes) gets a clear message, and the key goes to {@link KeyFiles} instead.
 */
public final class SshAgentHandoff {

    private final Env env;
    private final Path keysDir;

    public SshAgentHandoff(Env env, Path keysDir) {
        this.env = env;
        this.keysDir = keysDir;
    }

    public void deliver(AgentKey key) throws WritException {
        Certificate certificate = key.certificate();
        Duration lifetime = certificate.remaining(env.clock());
        if (lifetime.getSeconds() < 1) {
            throw new WritException(Exit.CA_REFUSED, "the CA issued a certificate that is already expired; check the clock");
        }
        String comment = AgentServer.comment(key);
        Optional<String> socket = env.variable("SSH_AUTH_SOCK");
        String refusal;
        if (socket.isEmpty()) {
            refusal = "SSH_AUTH_SOCK is not set, so there is no ssh-agent to add the certificate to";
        } else {
            try (AgentClient agent = AgentClient.connect(Path.of(socket.get()))) {
                if (agent.add(key.exportPrivateKeyToAgentMessage(comment, lifetime.getSeconds()))) {
                    env.out().println("Added certificate serial " + certificate.serial() + " (principals "
                            + String.join(", ", certificate.principals()) + ") to the ssh-agent at " + socket.get()
                            + " for " + Durations.format(lifetime) + ".");
                    return;
                }
                refusal = "the ssh-agent at " + socket.get() + " refused the key and certificate"
                        + " (an agent without certificate or lifetime support?)";
            } catch (IOException e) {
                refusal = "cannot reach the ssh-agent at " + socket.get() + " (" + e.getMessage() + ")";
            }
        }
        env.err().println("writ: " + refusal + "; writing key files instead");
        try {
            Path keyFile = KeyFiles.write(key, keysDir, comment);
            env.out().println("Wrote " + keyFile + " and " + keysDir.resolve(KeyFiles.CERTIFICATE) + " (valid for "
                    + Durations.format(lifetime) + "); use them with: ssh -i " + keyFile + " ...");
        } catch (IOException | GeneralSecurityException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write the key files in " + keysDir + ": " + e.getMessage(), e);
        }
    }
}
