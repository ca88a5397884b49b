package dev.writ.agent.cli;

import dev.writ.agent.Env;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.identity.KeyFiles;
import dev.writ.agent.sshagent.AgentClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code writ logout}: forgets the tokens, removes writ's identities from the user's ssh-agent,
 * deletes fallback key files, and tells a running writ agent, which drops its key once it sees
 * the tokens gone.
 */
@Command(name = "logout", description = "Forget the tokens and remove writ's keys from the agents.")
public final class LogoutCommand implements Callable<Integer> {

    private final Client client;

    public LogoutCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        Env env = client.env();
        boolean hadTokens = client.tokens().delete();
        env.out().println(hadTokens ? "Deleted the tokens in " + client.tokens().file() + "." : "No tokens to delete.");

        Optional<String> sshAgent = env.variable("SSH_AUTH_SOCK");
        Path writAgent = client.files().agentSocket();
        if (sshAgent.isPresent() && !Path.of(sshAgent.get()).equals(writAgent)) {
            removeFromSshAgent(sshAgent.get());
        }
        if (Files.exists(writAgent)) {
            // listing makes the agent look at the tokens; finding none, it forgets its key
            try (AgentClient agent = AgentClient.connect(writAgent)) {
                agent.identities();
                env.out().println("The writ agent at " + writAgent + " dropped its certificate.");
            } catch (IOException notRunning) {
                // no agent behind the socket: nothing to tell
            }
        }
        try {
            if (KeyFiles.delete(client.files().keysDir())) {
                env.out().println("Deleted the key files in " + client.files().keysDir() + ".");
            }
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot delete the key files in " + client.files().keysDir()
                    + ": " + e.getMessage(), e);
        }
        return Exit.OK.code();
    }

    private void removeFromSshAgent(String socket) {
        Env env = client.env();
        try (AgentClient agent = AgentClient.connect(Path.of(socket))) {
            int removed = 0;
            for (AgentClient.Identity identity : agent.identities()) {
                if (identity.comment().startsWith("writ ") && agent.remove(identity.blob())) {
                    removed++;
                }
            }
            if (removed > 0) {
                env.out().println("Removed " + removed + " writ " + (removed == 1 ? "identity" : "identities")
                        + " from the ssh-agent at " + socket + ".");
            }
        } catch (IOException e) {
            env.err().println("writ: cannot reach the ssh-agent at " + socket + " (" + e.getMessage()
                    + "); writ keys there, if any, expire with their certificates");
        }
    }
}
