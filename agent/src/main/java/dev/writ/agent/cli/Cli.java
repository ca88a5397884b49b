package dev.writ.agent.cli;

import dev.writ.agent.Env;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.host.HostCommands;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * The {@code writ} command line, wired by hand: every subcommand gets the one {@link Client}.
 * Failures become one line on standard error and the exit code of their kind ({@link Exit});
 * a stack trace only with {@code --debug}.
 */
public final class Cli {

    private Cli() {
    }

    public static CommandLine commandLine(Env env) {
        Client client = new Client(env);
        WritCommand root = new WritCommand();
        CommandLine cli = new CommandLine(root)
                .addSubcommand(new ConfigureCommand(client))
                .addSubcommand(new LoginCommand(client))
                .addSubcommand(new AgentCommand(client))
                .addSubcommand(new CertCommand(client))
                .addSubcommand(new StatusCommand(client))
                .addSubcommand(new LogoutCommand(client))
                .addSubcommand(new SshConfigCommand(client))
                .addSubcommand(new CommandLine(new RequestCommand(client)).addSubcommand(new RequestCommand.DropCommand(client)))
                .addSubcommand(new RequestsCommand(client))
                .addSubcommand(new ReviewCommand(client))
                .addSubcommand(new RevokeCommand(client))
                .addSubcommand(new SessionsCommand(client))
                .addSubcommand(new CommandLine(new AuditCommand(client)).addSubcommand(new AuditVerifyCommand(client))
                        .addSubcommand(new AuditExportCommand(client)))
                .addSubcommand(new HostCommands(env.clock(), new HostLogin(client)))
                .addSubcommand(new dev.writ.agent.recordings.RecordingsCommand(client));
        cli.setOut(env.out()).setErr(env.err());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, root.debug, env.err()));
        return cli;
    }

    /** Runs {@code writ args...} and returns its exit code. */
    public static int run(Env env, String... args) {
        try {
            return commandLine(env).execute(args);
        } finally {
            env.out().flush();
            env.err().flush();
        }
    }

    private static int report(Exception e, boolean debug, PrintWriter err) {
        if (e instanceof WritException fault) {
            err.println("writ: " + fault.getMessage());
            if (debug) {
                e.printStackTrace(err);
            }
            return fault.exit().code();
        }
        if (e instanceof InterruptedException) {
            err.println("writ: interrupted");
            return Exit.UNEXPECTED.code();
        }
        err.println("writ: unexpected error: " + e + (debug ? "" : " (run with --debug for the stack trace)"));
        if (debug) {
            e.printStackTrace(err);
        }
        return Exit.UNEXPECTED.code();
    }
}
