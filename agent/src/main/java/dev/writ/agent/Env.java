package dev.writ.agent;

import dev.writ.agent.oidc.Browser;
import dev.writ.agent.oidc.SystemBrowser;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@code writ} takes from the world it runs in: environment variables (which locate
 * the config and runtime directories and the user's ssh-agent), the clock, how to wait, how to
 * open a browser, and where to print. Built once in {@link Main}; tests build their own.
 */
public record Env(Map<String, String> variables, Clock clock, Sleeper sleeper, Browser browser,
                  PrintWriter out, PrintWriter err) {

    public Env {
        variables = Map.copyOf(variables);
    }

    /** The real process environment. */
    public static Env system() {
        Map<String, String> variables = System.getenv();
        return new Env(variables, Clock.systemUTC(), Sleeper.SYSTEM, new SystemBrowser(variables),
                new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8));
    }

    public Optional<String> variable(String name) {
        return Optional.ofNullable(variables.get(name)).filter(value -> !value.isBlank());
    }

    public Path home() {
        return Path.of(variable("HOME").orElse(System.getProperty("user.home")));
    }

    /** {@code $XDG_CONFIG_HOME/writ}, else {@code ~/.config/writ}: config, tokens, known_hosts. */
    public Path configDir() {
        return variable("XDG_CONFIG_HOME").map(Path::of).orElse(home().resolve(".config")).resolve("writ");
    }

    /** {@code $XDG_RUNTIME_DIR/writ} for the agent socket, else the config directory. */
    public Path runtimeDir() {
        return variable("XDG_RUNTIME_DIR").map(dir -> Path.of(dir).resolve("writ")).orElse(configDir());
    }
}
