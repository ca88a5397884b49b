package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.protocol.api.AccessRequestList;
import dev.writ.protocol.api.AccessRequestView;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code writ requests [--pending] [--mine] [--json]}: the access requests the CA shows the
 * caller (their own, those they may review, all of them to auditors), newest first.
 */
@Command(name = "requests", mixinStandardHelpOptions = true,
        description = "List access requests: your own and those you may review, newest first.")
public final class RequestsCommand implements Callable<Integer> {

    static final int REASON_WIDTH = 40;

    @Option(names = "--pending", description = "Only pending requests.")
    boolean pending;

    @Option(names = "--mine", description = "Only your own requests.")
    boolean mine;

    @Option(names = "--json", description = "Print the CA's JSON instead of a table.")
    boolean json;

    private final Client client;

    public RequestsCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        AccessRequestList list = client.certifier(Http.REQUEST_TIMEOUT)
                .asUser(idToken -> ca.accessRequests(idToken, pending ? "pending" : null, mine));
        PrintWriter out = client.env().out();
        if (json) {
            out.println(AccessRequestText.json(list));
            return Exit.OK.code();
        }
        if (list.requests().isEmpty()) {
            out.println(pending ? "No pending access requests." : "No access requests.");
            return Exit.OK.code();
        }
        Table table = new Table("ID", "ROLE", "REQUESTER", "STATE", "REVIEWERS", "TIME LEFT", "REASON");
        for (AccessRequestView r : list.requests()) {
            table.row(r.id(), r.role(), r.requester(), r.state(), AccessRequestText.reviewers(r), r.timeLeft(),
                    Table.truncate(r.reason(), REASON_WIDTH));
        }
        table.print(out);
        return Exit.OK.code();
    }
}
