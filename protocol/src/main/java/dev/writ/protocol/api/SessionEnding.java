package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Answer of {@code DELETE /v1/sessions/{id}}: the session an admin ended, and whether its bastion
 * confirmed it closed ({@code 200}) or had not yet when the CA stopped waiting ({@code 202}).
 */
public record SessionEnding(
        @JsonProperty("session") LiveSession session,
        @JsonProperty("ended") boolean ended,
        @JsonProperty("reason") String reason) {
}
