package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.NewReview;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code writ review ID --approve|--deny [--comment TEXT]}: an approver decides on someone else's request. */
@Command(name = "review", mixinStandardHelpOptions = true,
        description = "Approve or deny someone else's access request.")
public final class ReviewCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "The request's id (writ requests --pending lists them).")
    String id;

    /** Exactly one of the two. */
    static final class Decision {
        @Option(names = "--approve", required = true, description = "Approve the request.")
        boolean approve;

        @Option(names = "--deny", required = true, description = "Deny the request.")
        boolean deny;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Decision decision;

    @Option(names = "--comment", paramLabel = "TEXT", description = "Shown to the requester and kept in the audit log.")
    String comment;

    @Option(names = "--json", description = "Print the request as the CA's JSON.")
    boolean json;

    private final Client client;

    public ReviewCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        NewReview review = new NewReview(decision.approve ? NewReview.APPROVE : NewReview.DENY, comment);
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        AccessRequestView reviewed = client.certifier(Http.REQUEST_TIMEOUT).asUser(idToken -> ca.review(idToken, id, review));
        AccessRequestText.print(reviewed, json, client.env().out());
        return Exit.OK.code();
    }
}
