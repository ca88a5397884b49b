package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of {@code POST /v1/access-requests}. Everything in it is requested, not proven: the CA
 * checks it against the policy of the role.
 *
 * @param role     the requestable role, e.g. {@code prod-admin}
 * @param reason   why; required when the role says so (always for break-glass)
 * @param duration how long the grant should last, e.g. {@code "1h"}; absent means the role's maximum
 * @param startAt  RFC 3339 time before which the grant should not start; absent means at approval
 */
public record NewAccessRequest(
        @JsonProperty("role") String role,
        @JsonProperty("reason") String reason,
        @JsonProperty("duration") String duration,
        @JsonProperty("start_at") String startAt) {
}
