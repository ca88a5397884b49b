package dev.writ.e2e;

import dev.writ.ca.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;

/** The whole-system tests' plumbing around a writ agent and the real {@code ssh}. */
public final class AgentSsh {

    private AgentSsh() {
    }

    /**
     * An {@code ssh_config} in {@code dir} that takes keys only from the writ agent at
     * {@code agentSocket} and trusts hosts only through the CA's {@code @cert-authority} lines.
     */
    public static Path config(Path dir, Path agentSocket, TestCa ca) throws Exception {
        Path knownHosts = Files.writeString(dir.resolve("known_hosts"), ca.get("/v1/ca/known_hosts").body());
        return Files.writeString(dir.resolve("ssh_config"), """
                Host *
                    IdentityAgent %s
                    IdentityFile /dev/null
                    UserKnownHostsFile %s
                    GlobalKnownHostsFile /dev/null
                    StrictHostKeyChecking yes
                    BatchMode yes
                    LogLevel ERROR
                    ConnectTimeout 10
                """.formatted(agentSocket, knownHosts));
    }

    /** Closes every part that was started, in order, even when one fails to close. */
    public static void closeAll(AutoCloseable... parts) {
        for (AutoCloseable part : parts) {
            try {
                if (part != null) {
                    part.close();
                }
            } catch (Exception e) {
                // the next part still closes
            }
        }
    }
}
