package dev.writ.agent.identity;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.temporal.ChronoUnit;

/**
 * The agent's log: one timestamped line per event on its standard error (a terminal, a file, or
 * the journal of a user service). Never a token or a key; certificates by serial only.
 */
public final class AgentLog {

    private final PrintWriter out;
    private final Clock clock;
    private final boolean debug;

    public AgentLog(PrintWriter out, Clock clock, boolean debug) {
        this.out = out;
        this.clock = clock;
        this.debug = debug;
    }

    public synchronized void info(String message) {
        out.println(clock.instant().truncatedTo(ChronoUnit.SECONDS) + " writ agent: " + message);
        out.flush();
    }

    /** A failure: its message, and with {@code --debug} its stack trace. */
    public synchronized void failure(String message, Throwable cause) {
        info(message);
        if (debug && cause != null) {
            cause.printStackTrace(out);
            out.flush();
        }
    }
}
