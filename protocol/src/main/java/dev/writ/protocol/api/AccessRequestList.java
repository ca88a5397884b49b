package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Body of {@code GET /v1/access-requests}: newest first. */
public record AccessRequestList(@JsonProperty("requests") List<AccessRequestView> requests) {

    public AccessRequestList {
        requests = List.copyOf(requests);
    }
}
