package dev.writ.agent.testing;

import dev.writ.agent.Env;
import dev.writ.agent.Sleeper;
import dev.writ.agent.cli.AgentCommand;
import dev.writ.agent.cli.Cli;
import dev.writ.agent.cli.Client;
import dev.writ.agent.oidc.Browser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A user's world for running {@code writ} in-process: their own HOME, config and runtime
 * directories under a test directory, a movable clock, a browser, and captured output.
 */
public final class TestEnv {

    /** What one {@code writ} run printed and returned. */
    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private final Path dir;
    private final Map<String, String> variables = new HashMap<>();
    private final TestClock clock = new TestClock();
    private final StringWriter agentLog = new StringWriter();
    private Browser browser = uri -> false;
    private Sleeper sleeper = Sleeper.SYSTEM;

    private TestEnv(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("home"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        variables.put("HOME", dir.resolve("home").toString());
        variables.put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        variables.put("XDG_RUNTIME_DIR", dir.resolve("run").toString());
        variables.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    public static TestEnv in(Path dir) {
        return new TestEnv(dir);
    }

    public TestEnv browser(Browser browser) {
        this.browser = browser;
        return this;
    }

    public TestEnv sleeper(Sleeper sleeper) {
        this.sleeper = sleeper;
        return this;
    }

    public TestEnv variable(String name, String value) {
        if (value == null) {
            variables.remove(name);
        } else {
            variables.put(name, value);
        }
        return this;
    }

    public TestClock clock() {
        return clock;
    }

    public Path home() {
        return dir.resolve("home");
    }

    public Path configDir() {
        return dir.resolve("config/writ");
    }

    public Path tokenFile() {
        return configDir().resolve("tokens.json");
    }

    public Path agentSocket() {
        return dir.resolve("run/writ/agent.sock");
    }

    /** Runs {@code writ args...} in-process. */
    public Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Cli.run(env(out, err), args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** Starts {@code writ agent} in-process on the default socket; its log goes to {@link #agentLog()}. */
    public AgentCommand.RunningAgent startAgent(String certTtl) throws Exception {
        Env env = env(new StringWriter(), agentLog);
        return AgentCommand.start(new Client(env), env.runtimeDir().resolve("agent.sock"), certTtl, false);
    }

    public String agentLog() {
        return agentLog.toString();
    }

    public Env env(StringWriter out, StringWriter err) {
        return new Env(variables, clock, sleeper, browser, new PrintWriter(out, true), new PrintWriter(err, true));
    }
}
