package dev.writ.agent.cli;

import dev.writ.agent.Durations;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Times;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.NewAccessRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ request ROLE --reason TEXT --for 1h [--start-at TIME]}: asks the CA for a
 * requestable role. The policy decides at once: refused, pending until approvers decide, or
 * approved (auto-approval, break-glass). Its subcommand {@code drop} ({@link DropCommand}) takes
 * a request back: picocli reads {@code drop} as the subcommand before it reads a role, so ROLE is
 * optional to picocli and required here.
 */
@Command(name = "request", mixinStandardHelpOptions = true,
        description = "Request a requestable role for a while, with a reason.")
public final class RequestCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "ROLE", description = "The role, e.g. prod-admin.")
    String role;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why (a ticket, an incident); required by most roles.")
    String reason;

    @Option(names = "--for", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "How long the grant should last once approved (e.g. 1h); default: the role's maximum.")
    Duration duration;

    @Option(names = "--start-at", paramLabel = "TIME",
            description = "Not before this time: RFC 3339 (2026-11-18T09:00:00Z) or relative (+2h); default: at approval.")
    String startAt;

    @Option(names = "--json", description = "Print the request as the CA's JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final Client client;

    public RequestCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        if (role == null) {
            throw new ParameterException(spec.commandLine(), "Missing required parameter: 'ROLE' (or: writ request drop ID)");
        }
        String start = null;
        if (startAt != null) {
            Instant at = Times.parse(startAt, client.env().clock()).orElseThrow(() -> new ParameterException(
                    spec.commandLine(), "--start-at: '" + startAt + "' is not " + Times.EXPECTED));
            start = at.toString();
        }
        NewAccessRequest requested = new NewAccessRequest(role, reason,
                duration == null ? null : Durations.format(duration), start);
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        AccessRequestView created = client.certifier(Http.REQUEST_TIMEOUT).asUser(idToken -> ca.requestAccess(idToken, requested));
        AccessRequestText.print(created, json, client.env().out());
        return Exit.OK.code();
    }

    /** {@code writ request drop ID}: withdraws a pending request, or ends an active grant now. */
    @Command(name = "drop", mixinStandardHelpOptions = true,
            description = "Withdraw a pending request, or end an active grant now.")
    public static final class DropCommand implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "ID", description = "The request's id (writ requests lists them).")
        String id;

        @Option(names = "--json", description = "Print the request as the CA's JSON.")
        boolean json;

        private final Client client;

        public DropCommand(Client client) {
            this.client = client;
        }

        @Override
        public Integer call() throws WritException {
            CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
            AccessRequestView dropped = client.certifier(Http.REQUEST_TIMEOUT).asUser(idToken -> ca.dropAccessRequest(idToken, id));
            AccessRequestText.print(dropped, json, client.env().out());
            return Exit.OK.code();
        }
    }
}
