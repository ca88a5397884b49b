package dev.writ.protocol.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The marker a bastion writes into every recording of a session it ended, just before the
 * closing marker and at the same time (see the bastion's README, "How a recording ends"):
 *
 * <pre>
 * {"event":"ended","reason":"idle_timeout"}
 * {"event":"ended","reason":"ended_by_admin","admin":"sam@example.com","admin_reason":"INC-9"}
 * </pre>
 *
 * Read here for people: the CA's search index and {@code writ recordings play} say it the same way.
 */
public final class EndedMarker {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EndedMarker() {
    }

    /**
     * What the data of an {@code m} event says if it is an ended marker ({@code ended_by_admin by
     * sam@example.com: INC-9}, {@code idle_timeout}); null for any other data.
     */
    public static String describe(String data) {
        JsonNode marker;
        try {
            marker = JSON.readTree(data);
        } catch (Exception e) {
            return null; // a plain label, as asciinema writes them
        }
        if (marker == null || !marker.isObject() || !"ended".equals(marker.path("event").asText())
                || !marker.path("reason").isTextual()) {
            return null;
        }
        JsonNode admin = marker.path("admin");
        JsonNode adminReason = marker.path("admin_reason");
        return marker.path("reason").asText() + (admin.isTextual() ? " by " + admin.asText() : "")
                + (adminReason.isTextual() ? ": " + adminReason.asText() : "");
    }
}
