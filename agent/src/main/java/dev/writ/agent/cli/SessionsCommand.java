package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.protocol.api.LiveSession;
import dev.writ.protocol.api.LiveSessionList;
import dev.writ.protocol.api.SessionEnding;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code writ sessions list|kill}: the sessions open at the bastions now (auditors), and ending
 * one (admins). The bastion closes it with the admin's reason on the engineer's terminal; the
 * CA's audit log has who ended it and why, and the bastion's {@code session.ended} event follows.
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = "Live sessions at the bastions: list them (auditors), end one (admins).",
        subcommands = {SessionsCommand.ListCommand.class, SessionsCommand.KillCommand.class})
public final class SessionsCommand implements Runnable {

    private final Client client;

    @Spec
    CommandSpec spec;

    public SessionsCommand(Client client) {
        this.client = client;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the sessions open now, the oldest first.")
    static final class ListCommand implements Callable<Integer> {
        @ParentCommand
        SessionsCommand parent;

        @Option(names = "--json", description = "Print the CA's JSON instead of a table.")
        boolean json;

        @Override
        public Integer call() throws WritException {
            Client client = parent.client;
            CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
            LiveSessionList list = client.certifier(Http.REQUEST_TIMEOUT).asUser(ca::liveSessions);
            PrintWriter out = client.env().out();
            if (json) {
                out.println(AccessRequestText.json(list));
                return Exit.OK.code();
            }
            if (list.sessions().isEmpty()) {
                out.println("No live sessions.");
                return Exit.OK.code();
            }
            Instant now = client.env().clock().instant();
            Table table = new Table("ID", "IDENTITY", "LOGIN@TARGET", "FROM", "STARTED", "FOR", "BASTION");
            for (LiveSession s : list.sessions()) {
                table.row(s.id(), s.identity(), s.login() + "@" + s.target(), s.clientAddress(), dev.writ.agent.Instants.seconds(s.started()), age(s.started(), now),
                        s.bastion());
            }
            table.print(out);
            return Exit.OK.code();
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = "End a live session now (admins); the engineer sees who ended it and why.")
    static final class KillCommand implements Callable<Integer> {
        @ParentCommand
        SessionsCommand parent;

        @Parameters(paramLabel = "ID", description = "The session's id, as writ sessions list shows it.")
        String id;

        @Option(names = "--reason", required = true, paramLabel = "TEXT",
                description = "Why; kept in the audit log and shown on the engineer's terminal.")
        String reason;

        @Override
        public Integer call() throws WritException {
            Client client = parent.client;
            CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
            SessionEnding ending = client.certifier(Http.REQUEST_TIMEOUT).asUser(idToken -> ca.endSession(idToken, id, reason));
            LiveSession s = ending.session();
            String what = "session " + s.id() + " (" + s.identity() + " as " + s.login() + " on " + s.target() + " via "
                    + s.bastion() + ")";
            if (ending.ended()) {
                client.env().out().println(what + " ended");
            } else {
                client.env().out().println(what + ": the bastion was told to end it and has not confirmed yet;"
                        + " writ sessions list shows whether it is still open");
            }
            return Exit.OK.code();
        }
    }

    /** How long ago {@code started} was, as {@code 3m12s}; empty when the bastion sent no readable time. */
    static String age(String started, Instant now) {
        try {
            Duration age = Duration.between(Instant.parse(started), now);
            if (age.isNegative()) {
                return "0s";
            }
            long h = age.toHours();
            long m = age.toMinutesPart();
            long sec = age.toSecondsPart();
            return h > 0 ? h + "h" + m + "m" : m > 0 ? m + "m" + sec + "s" : sec + "s";
        } catch (DateTimeParseException | NullPointerException e) {
            return "";
        }
    }
}
