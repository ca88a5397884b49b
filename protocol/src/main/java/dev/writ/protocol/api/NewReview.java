package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of {@code POST /v1/access-requests/{id}/reviews}.
 *
 * @param decision {@code approve} or {@code deny}
 * @param comment  optional, shown to the requester and kept in the audit log
 */
public record NewReview(
        @JsonProperty("decision") String decision,
        @JsonProperty("comment") String comment) {

    public static final String APPROVE = "approve";
    public static final String DENY = "deny";
}
