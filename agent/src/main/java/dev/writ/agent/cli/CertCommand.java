package dev.writ.agent.cli;

import dev.writ.agent.Durations;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.identity.KeyFiles;
import dev.writ.agent.identity.SshAgentHandoff;
import dev.writ.agent.sshagent.AgentKey;
import dev.writ.agent.sshagent.AgentServer;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code writ cert}: a certificate now, for a new key, into the user's ssh-agent or into key files. */
@Command(name = "cert", description = "Get a certificate for a new key now (refreshing the login silently when needed).")
public final class CertCommand implements Callable<Integer> {

    @Option(names = "--add-to-agent", description = "Add key and certificate to the ssh-agent at $SSH_AUTH_SOCK, for the certificate's lifetime.")
    boolean addToAgent;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Lifetime to ask for (e.g. 1h); default: the role's.")
    Duration ttl;

    private final Client client;

    public CertCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        AgentKey key = client.certifier(Http.REQUEST_TIMEOUT).certify(ttl == null ? null : Durations.format(ttl));
        Path keysDir = client.files().keysDir();
        if (addToAgent) {
            new SshAgentHandoff(client.env(), keysDir).deliver(key);
            return Exit.OK.code();
        }
        try {
            Path keyFile = KeyFiles.write(key, keysDir, AgentServer.comment(key));
            client.env().out().println("Wrote " + keyFile + " and " + keysDir.resolve(KeyFiles.CERTIFICATE) + " (serial "
                    + key.certificate().serial() + ", valid for " + Durations.format(key.certificate().remaining(client.env().clock()))
                    + "); use them with: ssh -i " + keyFile + " ...");
        } catch (IOException | GeneralSecurityException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write the key files in " + keysDir + ": " + e.getMessage(), e);
        }
        return Exit.OK.code();
    }
}
