package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.config.ClientConfig;
import dev.writ.protocol.api.LoginConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code writ configure --ca URL [--ca URL2 ...]}: asks the CA how to log in and stores it, so the
 * CA's URL is all a user types; further {@code --ca} URLs name the CA's other replicas, tried in
 * turn when one gives no answer.
 */
@Command(name = "configure", description = "Point writ at a CA; the identity provider and client id come from the CA.")
public final class ConfigureCommand implements Callable<Integer> {

    @Option(names = "--ca", required = true, paramLabel = "URL", description = "The CA's URL, e.g. https://ca.example.com;"
            + " repeat it for each replica of the CA (tried in turn when one gives no answer).")
    List<String> ca;

    @Option(names = "--ca-bundle", paramLabel = "PEM", description = "Trust these certificates for the CA's TLS instead of the JDK's trust store.")
    Path caBundle;

    private final Client client;

    public ConfigureCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        String bundle = caBundle == null ? null : caBundle.toAbsolutePath().toString();
        List<String> caUrls = new ArrayList<>();
        try {
            for (String url : ca) {
                caUrls.add(ClientConfig.requireSecureUrl("CA", url));
            }
        } catch (IllegalArgumentException e) {
            throw new WritException(Exit.USAGE, e.getMessage());
        }
        LoginConfig login = CaClient.create(caUrls.stream().map(URI::create).toList(), bundle, client.env().clock(),
                Http.REQUEST_TIMEOUT).loginConfig();
        ClientConfig config;
        try {
            config = new ClientConfig(caUrls.get(0), bundle, login.issuer(), login.clientId(), login.scopes(), login.bastion(),
                    caUrls.subList(1, caUrls.size()));
        } catch (IllegalArgumentException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA's login config is unusable: " + e.getMessage());
        }
        client.configStore().save(config);
        client.env().out().println("Configured " + client.files().config() + ":");
        client.env().out().println("  CA                 " + config.ca());
        if (config.caReplicas() != null) {
            client.env().out().println("  CA replicas        " + String.join(", ", config.caReplicas()));
        }
        client.env().out().println("  identity provider  " + config.issuer() + " (client " + config.clientId() + ")");
        client.env().out().println("  bastion            " + (config.bastion() == null ? "none" : config.bastion()));
        client.env().out().println("Next: writ login");
        return Exit.OK.code();
    }
}
