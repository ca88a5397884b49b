package dev.writ.agent.cli;

import dev.writ.agent.Durations;
import dev.writ.agent.Env;
import dev.writ.agent.Exit;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import dev.writ.agent.config.ClientConfig;
import dev.writ.agent.config.Tokens;
import dev.writ.agent.identity.KeyFiles;
import dev.writ.agent.oidc.IdToken;
import dev.writ.agent.sshagent.AgentClient;
import dev.writ.agent.sshagent.AgentProtocol;
import dev.writ.agent.sshagent.Certificate;
import dev.writ.agent.sshagent.IdentitySource.AgentStatus;
import dev.writ.protocol.ssh.InvalidKeyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import picocli.CommandLine.Command;

/**
 * {@code writ status}: who is logged in, the tokens' state, and the certificate in use: the one
 * writ's agent serves (asked through its status extension, so asking does not fetch), else the
 * one in the user's ssh-agent, else the key files. Exit 4 when not logged in, 7 when a login is
 * needed again, 0 otherwise.
 */
@Command(name = "status", description = "Show the identity, the tokens and the certificate in use.")
public final class StatusCommand implements Callable<Integer> {

    private final Client client;

    public StatusCommand(Client client) {
        this.client = client;
    }

    /** Where a certificate was found, and what the agent that holds it reports. */
    record Found(Certificate certificate, String where) {
    }

    @Override
    public Integer call() throws WritException {
        Env env = client.env();
        ClientConfig config = client.config();
        line("CA", config.ca());
        Tokens tokens;
        try {
            tokens = client.tokens().load();
        } catch (WritException e) {
            if (e.exit() != Exit.NOT_LOGGED_IN) {
                throw e;
            }
            line("identity", "not logged in: run writ login");
            return Exit.NOT_LOGGED_IN.code();
        }
        IdToken idToken;
        try {
            idToken = IdToken.parse(tokens.idToken());
        } catch (java.text.ParseException e) {
            throw new WritException(Exit.TOKEN_FILE_CORRUPT, "the token file " + client.tokens().file()
                    + " is corrupt: run writ login to replace it", e);
        }
        Duration idLeft = Duration.between(env.clock().instant(), idToken.expiresAt());
        line("identity", idToken.name());
        line("issuer", idToken.issuer());
        line("ID token", idLeft.isNegative() ? "expired " + Durations.format(idLeft) + " ago" : "valid for " + Durations.format(idLeft));
        line("refresh token", tokens.refreshRejected() != null ? "refused by the identity provider (" + tokens.refreshRejected() + ")"
                : tokens.refreshToken() == null ? "none" : "present");

        Optional<AgentStatus> agent = writAgentStatus();
        Optional<Found> found = agent.flatMap(status -> certificate(status.certificate(), "writ agent at " + client.files().agentSocket()))
                .or(this::fromSshAgent)
                .or(this::fromKeyFiles);
        if (found.isPresent()) {
            Certificate certificate = found.get().certificate();
            line("certificate", "serial " + certificate.serial() + " (in the " + found.get().where() + ")");
            line("principals", String.join(", ", certificate.principals()));
            line("roles", certificate.roles().isEmpty() ? "none" : String.join(", ", certificate.roles()));
            Duration left = certificate.remaining(env.clock());
            line("time left", left.isZero() ? "expired" : Durations.format(left) + " (until " + dev.writ.agent.Instants.seconds(certificate.validBefore()) + ")");
        } else {
            line("certificate", agent.isPresent() ? "none yet (the writ agent fetches one when ssh asks)" : "none");
        }
        agent.map(AgentStatus::problem).ifPresent(problem -> line("agent", problem));

        boolean loginRequired = idLeft.isNegative() && (tokens.refreshToken() == null || tokens.refreshRejected() != null)
                || agent.map(AgentStatus::problem).filter(p -> p.startsWith("login required")).isPresent();
        if (loginRequired) {
            line("login", "required: run writ login");
            return Exit.LOGIN_EXPIRED.code();
        }
        return Exit.OK.code();
    }

    private void line(String label, String value) {
        client.env().out().printf("%-15s%s%n", label, value);
    }

    private Optional<AgentStatus> writAgentStatus() {
        Path socket = client.files().agentSocket();
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try (AgentClient agent = AgentClient.connect(socket)) {
            Optional<byte[]> answer = agent.extension(AgentProtocol.STATUS_EXTENSION);
            if (answer.isEmpty()) {
                return Optional.empty();
            }
            String json = new ByteArrayBuffer(answer.get()).getString(StandardCharsets.UTF_8);
            return Optional.of(Json.MAPPER.readValue(json, AgentStatus.class));
        } catch (IOException | RuntimeException notAnAgent) {
            return Optional.empty();
        }
    }

    private Optional<Found> fromSshAgent() {
        Optional<String> socket = client.env().variable("SSH_AUTH_SOCK");
        if (socket.isEmpty() || Path.of(socket.get()).equals(client.files().agentSocket())) {
            return Optional.empty();
        }
        try (AgentClient agent = AgentClient.connect(Path.of(socket.get()))) {
            return agent.identities().stream()
                    .filter(identity -> identity.comment().startsWith("writ ") && identity.keyType().contains("-cert-"))
                    .flatMap(identity -> {
                        try {
                            return java.util.stream.Stream.of(Certificate.fromBlob(identity.keyType(), identity.blob()));
                        } catch (InvalidKeyException e) {
                            return java.util.stream.Stream.empty();
                        }
                    })
                    .max(Comparator.comparing(Certificate::validBefore))
                    .map(certificate -> new Found(certificate, "ssh-agent at " + socket.get()));
        } catch (IOException | RuntimeException unreachable) {
            return Optional.empty();
        }
    }

    private Optional<Found> fromKeyFiles() {
        Path file = client.files().keysDir().resolve(KeyFiles.CERTIFICATE);
        try {
            return Optional.of(new Found(Certificate.parse(Files.readString(file)), "file " + file));
        } catch (IOException | InvalidKeyException noFile) {
            return Optional.empty();
        }
    }

    private static Optional<Found> certificate(String line, String where) {
        if (line == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Found(Certificate.parse(line), where));
        } catch (InvalidKeyException e) {
            return Optional.empty();
        }
    }
}
