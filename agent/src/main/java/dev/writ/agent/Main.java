package dev.writ.agent;

import dev.writ.agent.cli.Cli;

/** {@code java -jar writ.jar ...} (or {@code bin/writ ...}): the real environment, then the command line. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // MINA logs through SLF4J; a command line prints its own messages, so that logging goes
        // nowhere, without SLF4J's notes about how it found (or did not find) a provider
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        System.setProperty("slf4j.internal.verbosity", "WARN");
        System.exit(Cli.run(Env.system(), args));
    }
}
