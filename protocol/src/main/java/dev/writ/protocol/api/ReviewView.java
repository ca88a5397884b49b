package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One review of an access request.
 *
 * @param decision {@code approve} or {@code deny}
 * @param at       RFC 3339
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReviewView(
        @JsonProperty("reviewer") String reviewer,
        @JsonProperty("decision") String decision,
        @JsonProperty("comment") String comment,
        @JsonProperty("at") String at) {
}
