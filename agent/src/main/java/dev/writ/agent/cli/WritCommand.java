package dev.writ.agent.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top of {@code writ}: global options; the work is in the subcommands. */
@Command(name = "writ", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "writ 0.1.0",
        description = "Just-in-time SSH access: log in with your identity provider, get short-lived SSH certificates.")
public final class WritCommand implements Runnable {

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print stack traces of failures (never tokens or keys).")
    boolean debug;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
