package dev.writ.e2e.hosts;

import dev.writ.agent.host.HostCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import picocli.CommandLine;

/** {@code writ host ...} run in-process, as the agent's main will run it, with what it printed. */
final class HostCli {

    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private HostCli() {
    }

    static Run writHost(String... args) {
        return writHost(Clock.systemUTC(), args);
    }

    static Run writHost(Clock clock, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new HostCommands(clock));
        cli.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
