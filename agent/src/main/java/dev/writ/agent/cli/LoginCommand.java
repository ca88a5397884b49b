package dev.writ.agent.cli;

import dev.writ.agent.Durations;
import dev.writ.agent.Env;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.config.Tokens;
import dev.writ.agent.identity.SshAgentHandoff;
import dev.writ.agent.oidc.BrowserLogin;
import dev.writ.agent.oidc.DeviceLogin;
import dev.writ.agent.oidc.LoginResult;
import dev.writ.agent.oidc.OidcClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code writ login}: a browser login (code + PKCE, loopback redirect) or, with {@code --device}, the device flow. */
@Command(name = "login", description = "Log in at the identity provider and keep the tokens (0600) in the config directory.")
public final class LoginCommand implements Callable<Integer> {

    @Option(names = "--device", description = "Log in on another device: print a URL and a code (RFC 8628), for machines without a browser.")
    boolean device;

    @Option(names = "--no-browser", description = "Print the login URL instead of opening a browser.")
    boolean noBrowser;

    @Option(names = "--add-to-agent", description = "Then get a certificate and add it, with its key, to the ssh-agent at $SSH_AUTH_SOCK.")
    boolean addToAgent;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Lifetime to ask for the certificate of --add-to-agent (e.g. 1h); default: the role's.")
    Duration ttl;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.Converter.class, defaultValue = "5m",
            description = "Give up when the login is not finished after this long (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    private final Client client;

    public LoginCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException, InterruptedException {
        Env env = client.env();
        OidcClient oidc = client.oidc(Http.REQUEST_TIMEOUT);
        LoginResult result = device
                ? new DeviceLogin(oidc, env.out(), env.clock(), env.sleeper(), timeout).run()
                : new BrowserLogin(oidc, noBrowser ? uri -> false : env.browser(), env.out(), env.clock(), timeout).run();
        client.tokens().save(new Tokens(result.idToken().serialized(), result.refreshToken(), null));
        env.out().println("Logged in as " + result.idToken().name() + " at " + result.idToken().issuer() + "."
                + (result.refreshToken() == null ? " The identity provider gave no refresh token: certificates"
                + " can be renewed only until the ID token expires." : ""));
        if (addToAgent) {
            var key = client.certifier(Http.REQUEST_TIMEOUT).certify(ttl == null ? null : Durations.format(ttl));
            new SshAgentHandoff(env, client.files().keysDir()).deliver(key);
        }
        return Exit.OK.code();
    }
}
