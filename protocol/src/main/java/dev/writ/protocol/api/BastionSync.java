package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Body of {@code POST /v1/bastion/sync}, which a bastion keeps open: what it holds now, and how
 * long the CA may hold the answer back while nothing changes. The CA answers at once when its
 * KRL is newer than {@code krlVersion} or an admin ended one of the sessions, else as soon as
 * either happens, else after {@code waitSeconds}.
 *
 * @param krlVersion  the version of the KRL the bastion enforces
 * @param sessions    every session the bastion holds to a target
 * @param waitSeconds how long the answer may wait (the CA caps it)
 */
public record BastionSync(
        @JsonProperty("krl_version") long krlVersion,
        @JsonProperty("sessions") List<LiveSession> sessions,
        @JsonProperty("wait_seconds") int waitSeconds) {

    public BastionSync {
        sessions = sessions == null ? List.of() : List.copyOf(sessions);
    }

    /**
     * The answer: the CA's KRL version (a bastion behind it fetches {@code GET /v1/krl} now) and
     * the sessions an admin ended, which the bastion closes.
     */
    public record Answer(
            @JsonProperty("krl_version") long krlVersion,
            @JsonProperty("end") List<SessionEnd> end) {

        public Answer {
            end = end == null ? List.of() : List.copyOf(end);
        }
    }

    /**
     * A session to close.
     *
     * @param id     the session id
     * @param by     the admin who ended it
     * @param reason why, as the admin wrote it (shown to the engineer)
     */
    public record SessionEnd(
            @JsonProperty("id") String id,
            @JsonProperty("by") String by,
            @JsonProperty("reason") String reason) {
    }
}
