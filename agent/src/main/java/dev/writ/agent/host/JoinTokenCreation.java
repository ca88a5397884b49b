package dev.writ.agent.host;

import dev.writ.protocol.api.JoinTokenRequest;
import dev.writ.protocol.api.JoinTokenResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code writ host token create}: an admin asks the CA for a one-time join token, with the ID
 * token of {@code writ login} or one from a file.
 */
final class JoinTokenCreation {

    private JoinTokenCreation() {
    }

    static JoinTokenResponse create(HostCaClient ca, String idToken, List<String> hostnames, String ttl)
            throws HostCommandException {
        return ca.joinToken(idToken, new JoinTokenRequest(hostnames, ttl));
    }

    /** A token from a file: its one line, without the newline an editor or {@code echo} adds. */
    static String readToken(Path file, String option) throws HostCommandException {
        try {
            String token = Files.readString(file).strip();
            if (token.isEmpty() || token.contains("\n") || token.contains(" ")) {
                throw new HostCommandException(option + " " + file + " must hold one token on one line");
            }
            return token;
        } catch (IOException e) {
            throw new HostCommandException("cannot read " + option + " " + file + ": " + e.getMessage(), e);
        }
    }
}
