package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Body of {@code GET /v1/recordings}: newest first. */
public record RecordingList(@JsonProperty("recordings") List<RecordingView> recordings) {

    public RecordingList {
        recordings = List.copyOf(recordings);
    }
}
