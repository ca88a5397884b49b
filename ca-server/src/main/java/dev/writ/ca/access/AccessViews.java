package dev.writ.ca.access;

import dev.writ.ca.store.AccessRequest;
import dev.writ.ca.store.AccessRequest.State;
import dev.writ.ca.store.AccessReview;
import dev.writ.policy.Durations;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.ReviewView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** An access request as the API and webhooks show it. */
final class AccessViews {

    private AccessViews() {
    }

    /** {@code mayReview} is null where no caller is asking (webhooks). */
    static AccessRequestView render(AccessRequest r, List<AccessReview> reviews, Instant now, Boolean mayReview) {
        int approvals = (int) reviews.stream().filter(AccessReview::approve).count();
        return new AccessRequestView(r.id(), r.role(), r.requester(), r.reason(), Durations.format(r.duration()),
                text(r.startAt()), r.state().name(), r.mode().name(), r.decisionReason(), text(r.createdAt()),
                r.state() == State.pending ? text(r.expiresAt()) : null, text(r.decidedAt()), text(r.grantStart()),
                text(r.grantEnd()), text(r.endedAt()), r.endReason(), timeLeft(r, now), r.approvalsRequired(), approvals,
                reviews.stream().map(v -> new ReviewView(v.reviewer(), v.decision(), v.comment(), text(v.at()))).toList(),
                mayReview);
    }

    /** Until a pending request expires, or until an approved grant ends; whole seconds. */
    private static String timeLeft(AccessRequest r, Instant now) {
        Instant until = switch (r.state()) {
            case pending -> r.expiresAt();
            case approved -> r.grantEnd();
            default -> null;
        };
        if (until == null) {
            return null;
        }
        Duration left = Duration.between(now, until);
        return left.isNegative() ? "0s" : Durations.format(Duration.ofSeconds(left.getSeconds()));
    }

    private static String text(Instant at) {
        return at == null ? null : at.toString();
    }
}
