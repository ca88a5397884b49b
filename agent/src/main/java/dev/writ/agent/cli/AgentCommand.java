package dev.writ.agent.cli;

import dev.writ.agent.Durations;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.identity.AgentLog;
import dev.writ.agent.identity.OnDemandIdentity;
import dev.writ.agent.identity.RevocationWatch;
import dev.writ.agent.oidc.IdToken;
import dev.writ.agent.sshagent.AgentClient;
import dev.writ.agent.sshagent.AgentServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code writ agent}: serves writ's ssh-agent in the foreground until stopped. Its log (standard
 * error) says when it fetched a certificate and, once, when a login is needed.
 */
@Command(name = "agent", description = "Serve an ssh-agent whose certificate is fetched on demand, with a new key each time.")
public final class AgentCommand implements Callable<Integer> {

    /** Agent requests wait for the CA and the identity provider: not as long as a command does. */
    static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);
    /** The KRL is read on the way of an ssh: a CA slow to answer must not hold it up long. */
    static final Duration KRL_TIMEOUT = Duration.ofSeconds(2);
    /** sun_path is 108 bytes on Linux (104 on the BSDs), the final NUL included. */
    static final int MAX_SOCKET_PATH = 103;

    @Option(names = "--print-env", description = "Print the SSH_AUTH_SOCK line for a shell (eval \"$(writ agent --print-env)\") and exit.")
    boolean printEnv;

    @Option(names = "--socket", paramLabel = "PATH", description = "The socket to serve (default: $XDG_RUNTIME_DIR/writ/agent.sock).")
    Path socket;

    @Option(names = "--cert-ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Lifetime to ask for each certificate (e.g. 1h); default: the role's.")
    Duration certTtl;

    @ParentCommand
    WritCommand root;

    private final Client client;

    public AgentCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException, InterruptedException {
        Path path = socket == null ? client.files().agentSocket() : socket.toAbsolutePath();
        if (printEnv) {
            client.env().out().println("SSH_AUTH_SOCK=" + shellQuoted(path.toString()) + "; export SSH_AUTH_SOCK;");
            return Exit.OK.code();
        }
        RunningAgent agent = start(client, path, certTtl == null ? null : Durations.format(certTtl), root != null && root.debug);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "writ-agent-shutdown"));
        stopped.await();
        return Exit.OK.code();
    }

    /** Wires and starts the agent on {@code path}; also what tests and the benchmark run. */
    public static RunningAgent start(Client client, Path path, String ttl, boolean debug) throws WritException {
        AgentLog log = new AgentLog(client.env().err(), client.env().clock(), debug);
        if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new WritException(Exit.AGENT_UNAVAILABLE, "the socket path " + path + " is longer than the "
                    + MAX_SOCKET_PATH + " bytes a UNIX socket allows; choose a shorter one with --socket");
        }
        if (Files.exists(path)) {
            try (AgentClient other = AgentClient.connect(path)) {
                throw new WritException(Exit.AGENT_UNAVAILABLE, "an agent is already serving " + path);
            } catch (IOException stale) {
                // nobody answers: a socket left by an agent that died; AgentServer replaces it
            }
        }
        OnDemandIdentity identity = new OnDemandIdentity(client.certifier(FETCH_TIMEOUT), client.tokens(), ttl,
                client.env().clock(), log, new RevocationWatch(client.ca(KRL_TIMEOUT), client.env().clock()));
        AgentServer server;
        try {
            server = AgentServer.start(path, identity, log::info);
        } catch (IOException e) {
            throw new WritException(Exit.AGENT_UNAVAILABLE, "cannot serve the agent socket " + path + ": " + e.getMessage(), e);
        }
        log.info("serving " + path + " for the CA at " + client.config().ca() + "; " + loginState(client));
        return new RunningAgent(server, identity);
    }

    private static String loginState(Client client) {
        try {
            IdToken idToken = IdToken.parse(client.tokens().load().idToken());
            return "logged in as " + idToken.name() + "; certificates are fetched when ssh asks";
        } catch (WritException e) {
            return "login required: " + e.getMessage();
        } catch (java.text.ParseException e) {
            return "login required: the token file is corrupt; run writ login";
        }
    }

    /** The socket path as a shell word: single-quoted unless it is plainly safe. */
    static String shellQuoted(String text) {
        return text.matches("[A-Za-z0-9_./@%+=:,-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }

    /** A started agent: its socket server and the identity it serves. */
    public record RunningAgent(AgentServer server, OnDemandIdentity identity) implements AutoCloseable {

        public Path socket() {
            return server.socket();
        }

        @Override
        public void close() {
            server.close();
        }
    }
}
