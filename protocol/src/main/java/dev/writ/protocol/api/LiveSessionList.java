package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Body of {@code GET /v1/sessions}: the sessions open at the bastions now, oldest first. */
public record LiveSessionList(@JsonProperty("sessions") List<LiveSession> sessions) {

    public LiveSessionList {
        sessions = List.copyOf(sessions);
    }
}
