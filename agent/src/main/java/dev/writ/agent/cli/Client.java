package dev.writ.agent.cli;

import dev.writ.agent.Env;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.config.ClientConfig;
import dev.writ.agent.config.ClientFiles;
import dev.writ.agent.config.ConfigStore;
import dev.writ.agent.config.TokenStore;
import dev.writ.agent.identity.Certifier;
import dev.writ.agent.oidc.OidcClient;
import java.time.Duration;

/**
 * The client's parts, wired by hand from the environment: where its files are, its config
 * (loaded once, when a command first needs it), and the CA and OIDC clients built from it.
 */
public final class Client {

    private final Env env;
    private final ClientFiles files;
    private final ConfigStore configStore;
    private final TokenStore tokens;
    private ClientConfig config;

    public Client(Env env) {
        this.env = env;
        this.files = new ClientFiles(env.configDir(), env.runtimeDir());
        this.configStore = new ConfigStore(files);
        this.tokens = new TokenStore(files);
    }

    public Env env() {
        return env;
    }

    public ClientFiles files() {
        return files;
    }

    public ConfigStore configStore() {
        return configStore;
    }

    public TokenStore tokens() {
        return tokens;
    }

    public ClientConfig config() throws WritException {
        if (config == null) {
            config = configStore.load();
        }
        return config;
    }

    public CaClient ca(Duration timeout) throws WritException {
        return CaClient.create(config(), env.clock(), timeout);
    }

    public OidcClient oidc(Duration timeout) throws WritException {
        return new OidcClient(config(), Http.client(null), timeout);
    }

    public Certifier certifier(Duration timeout) throws WritException {
        return new Certifier(tokens, oidc(timeout), ca(timeout), env.clock(), files().knownHosts());
    }
}
