package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A stored recording as the CA shows it: the answer of {@code PUT /v1/recordings/{id}} and an
 * element of {@code GET /v1/recordings}. Times are RFC 3339.
 *
 * @param serial          the certificate serial (unsigned decimal, as a string: it exceeds 2^53)
 * @param grant           the access grant the session ran under, if any
 * @param durationSeconds from the start to the last event, which is the bastion's closing marker, written when the
 *                        channel closed (a truncated recording ends at the last event written before the crash)
 * @param size            bytes of the asciicast file
 * @param truncated       the bastion could not finish the recording (it crashed, say)
 * @param sha256          the file's digest, signed by {@code bastion}
 * @param hits            only in answers to a search ({@code q}): the matching lines, at most
 *                        {@code MAX_HITS} of them, oldest first
 * @param hitCount        only in answers to a search: how many lines matched in all
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RecordingView(
        @JsonProperty("id") String id,
        @JsonProperty("session_id") String sessionId,
        @JsonProperty("identity") String identity,
        @JsonProperty("login") String login,
        @JsonProperty("target") String target,
        @JsonProperty("serial") String serial,
        @JsonProperty("grant") String grant,
        @JsonProperty("client_address") String clientAddress,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("ended_at") String endedAt,
        @JsonProperty("duration_seconds") double durationSeconds,
        @JsonProperty("size") long size,
        @JsonProperty("truncated") boolean truncated,
        @JsonProperty("width") int width,
        @JsonProperty("height") int height,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("bastion") String bastion,
        @JsonProperty("stored_at") String storedAt,
        @JsonProperty("hits") List<RecordingHit> hits,
        @JsonProperty("hit_count") Integer hitCount) {

    public RecordingView {
        hits = hits == null ? null : List.copyOf(hits);
    }

    /**
     * A line of the recording's output (escape sequences stripped) that matched a search.
     *
     * @param offset  seconds from the start of the recording to when the line was complete on screen
     * @param snippet the line, shortened around the match
     */
    public record RecordingHit(@JsonProperty("offset") double offset, @JsonProperty("snippet") String snippet) {
    }
}
