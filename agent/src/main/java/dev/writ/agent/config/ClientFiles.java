package dev.writ.agent.config;

import java.nio.file.Path;

/**
 * Where the client keeps its state. The config directory (0700) holds {@code config.json},
 * {@code tokens.json} (0600), {@code known_hosts} and, only when an ssh-agent refused the key,
 * {@code keys/id_writ}; the runtime directory (0700) holds the agent socket.
 */
public record ClientFiles(Path configDir, Path runtimeDir) {

    public Path config() {
        return configDir.resolve("config.json");
    }

    public Path tokens() {
        return configDir.resolve("tokens.json");
    }

    public Path tokensLock() {
        return configDir.resolve("tokens.lock");
    }

    public Path knownHosts() {
        return configDir.resolve("known_hosts");
    }

    /** Where key files go when no ssh-agent takes the key. */
    public Path keysDir() {
        return configDir.resolve("keys");
    }

    public Path agentSocket() {
        return runtimeDir.resolve("agent.sock");
    }
}
