package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.config.ClientConfig;
import dev.writ.protocol.api.LoginConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code writ configure --ca URL}: asks the CA how to log in and stores it, so the CA's URL is all a user types. */
@Command(name = "configure", description = "Point writ at a CA; the identity provider and client id come from the CA.")
public final class ConfigureCommand implements Callable<Integer> {

    @Option(names = "--ca", required = true, paramLabel = "URL", description = "The CA's URL, e.g. https://ca.example.com.")
    String ca;

    @Option(names = "--ca-bundle", paramLabel = "PEM", description = "Trust these certificates for the CA's TLS instead of the JDK's trust store.")
    Path caBundle;

    private final Client client;

    public ConfigureCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        String bundle = caBundle == null ? null : caBundle.toAbsolutePath().toString();
        String caUrl;
        try {
            caUrl = ClientConfig.requireSecureUrl("CA", ca);
        } catch (IllegalArgumentException e) {
            throw new WritException(Exit.USAGE, e.getMessage());
        }
        LoginConfig login = CaClient.create(URI.create(caUrl), bundle, client.env().clock(), Http.REQUEST_TIMEOUT).loginConfig();
        ClientConfig config;
        try {
            config = new ClientConfig(caUrl, bundle, login.issuer(), login.clientId(), login.scopes(), login.bastion());
        } catch (IllegalArgumentException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA's login config is unusable: " + e.getMessage());
        }
        client.configStore().save(config);
        client.env().out().println("Configured " + client.files().config() + ":");
        client.env().out().println("  CA                 " + config.ca());
        client.env().out().println("  identity provider  " + config.issuer() + " (client " + config.clientId() + ")");
        client.env().out().println("  bastion            " + (config.bastion() == null ? "none" : config.bastion()));
        client.env().out().println("Next: writ login");
        return Exit.OK.code();
    }
}
