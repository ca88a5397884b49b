package dev.writ.agent.testing;

import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import java.util.List;

/** Someone who ran {@code writ configure} and {@code writ login} in their own HOME, for tests with several people. */
public record Person(String email, TestEnv env) {

    /** Logs {@code email}, in {@code groups}, in at {@code idp} (the browser step played over HTTP). */
    public static Person loggedIn(Path dir, MockIdp idp, TestCa ca, String email, String... groups) {
        TestEnv env = TestEnv.in(dir).browser(HttpBrowser.following());
        Result configure = env.run("configure", "--ca", ca.url());
        if (configure.exit() != 0) {
            throw new IllegalStateException("writ configure failed: " + configure);
        }
        idp.nextLoginAs(email, List.of(groups));
        Result login = env.run("login");
        if (login.exit() != 0) {
            throw new IllegalStateException("writ login failed: " + login);
        }
        return new Person(email, env);
    }

    /** Runs {@code writ args...} as this person. */
    public Result run(String... args) {
        return env.run(args);
    }
}
