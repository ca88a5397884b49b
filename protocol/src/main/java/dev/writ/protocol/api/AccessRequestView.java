package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * An access request as the CA shows it: the answer of {@code POST /v1/access-requests}, an
 * element of {@code GET /v1/access-requests}, and the {@code request} of webhook events. Times are
 * RFC 3339; durations are like {@code 1h30m}. Absent fields do not apply to the request's state.
 *
 * @param state             {@code pending}, {@code approved} (the grant; active between
 *                          {@code grant_start} and {@code grant_end}), {@code denied}, {@code expired}
 *                          (no decision in time), {@code withdrawn} or {@code ended} (the grant is over)
 * @param mode              {@code review} (approvers decide), {@code auto} (auto-approved by policy) or
 *                          {@code break_glass}
 * @param decisionReason    the policy's reason, e.g. "waiting for 1 approval" or "auto-approved by ..."
 * @param expiresAt         when a pending request expires
 * @param timeLeft          until a pending request expires, or until an approved grant ends
 * @param approvals         distinct approvals so far
 * @param mayReview         whether the caller may approve or deny it now (only in answers to a caller)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AccessRequestView(
        @JsonProperty("id") String id,
        @JsonProperty("role") String role,
        @JsonProperty("requester") String requester,
        @JsonProperty("reason") String reason,
        @JsonProperty("duration") String duration,
        @JsonProperty("start_at") String startAt,
        @JsonProperty("state") String state,
        @JsonProperty("mode") String mode,
        @JsonProperty("decision_reason") String decisionReason,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("expires_at") String expiresAt,
        @JsonProperty("decided_at") String decidedAt,
        @JsonProperty("grant_start") String grantStart,
        @JsonProperty("grant_end") String grantEnd,
        @JsonProperty("ended_at") String endedAt,
        @JsonProperty("end_reason") String endReason,
        @JsonProperty("time_left") String timeLeft,
        @JsonProperty("approvals_required") int approvalsRequired,
        @JsonProperty("approvals") int approvals,
        @JsonProperty("reviews") List<ReviewView> reviews,
        @JsonProperty("may_review") Boolean mayReview) {

    public AccessRequestView {
        reviews = reviews == null ? List.of() : List.copyOf(reviews);
    }
}
