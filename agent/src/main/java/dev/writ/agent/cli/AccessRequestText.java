package dev.writ.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.writ.agent.Json;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.ReviewView;
import java.io.PrintWriter;
import java.util.List;
import java.util.stream.Collectors;

/** How {@code writ request}, {@code writ review} and {@code writ request drop} show an access request. */
final class AccessRequestText {

    private AccessRequestText() {
    }

    /** One labelled line per fact, like {@code writ status}; with {@code json}, the CA's JSON instead. */
    static void print(AccessRequestView r, boolean json, PrintWriter out) {
        if (json) {
            out.println(json(r));
            return;
        }
        line(out, "request", r.id());
        line(out, "role", r.role() + (r.duration() == null ? "" : " for " + r.duration())
                + (r.startAt() == null ? "" : ", not before " + dev.writ.agent.Instants.seconds(r.startAt())));
        line(out, "requester", r.requester());
        if (r.reason() != null) {
            line(out, "reason", r.reason());
        }
        line(out, "state", state(r));
        List<ReviewView> reviews = r.reviews();
        for (int i = 0; i < reviews.size(); i++) {
            line(out, i == 0 ? "reviews" : "", review(reviews.get(i)));
        }
        String until = switch (r.state()) {
            case "pending" -> r.expiresAt() == null ? null : "expires at " + dev.writ.agent.Instants.seconds(r.expiresAt());
            case "approved" -> r.grantEnd() == null ? null : (r.grantStart() != null ? "from " + r.grantStart() + " " : "")
                    + "until " + dev.writ.agent.Instants.seconds(r.grantEnd());
            default -> null;
        };
        if (r.timeLeft() != null) {
            line(out, "time left", r.timeLeft() + (until == null ? "" : " (" + until + ")"));
        }
    }

    /** The state and why: {@code pending (waiting for 1 approval)}, {@code ended (ended early by bob@example.com)}. */
    static String state(AccessRequestView r) {
        String why = switch (r.state()) {
            case "pending" -> r.approvals() > 0
                    ? r.approvals() + " of " + r.approvalsRequired() + " approvals" : r.decisionReason();
            case "approved" -> r.mode() == null || r.mode().equals("review") ? null : r.decisionReason();
            default -> r.endReason();
        };
        return why == null ? r.state() : r.state() + " (" + why + ")";
    }

    /** {@code bob@example.com approved: looks right}. */
    static String review(ReviewView v) {
        String decision = "approve".equals(v.decision()) ? "approved" : "deny".equals(v.decision()) ? "denied" : v.decision();
        return v.reviewer() + " " + decision + (v.comment() == null ? "" : ": " + v.comment());
    }

    /** The reviewers and their decisions, for the table of {@code writ requests}. */
    static String reviewers(AccessRequestView r) {
        return r.reviews().stream().map(v -> v.reviewer() + " (" + v.decision() + ")").collect(Collectors.joining(", "));
    }

    static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }

    private static void line(PrintWriter out, String label, String value) {
        out.printf("%-15s%s%n", label, value.replaceAll("\\p{Cntrl}", " "));
    }
}
