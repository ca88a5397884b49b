package dev.writ.ca.recording;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.protocol.recording.EndedMarker;

/**
 * What a reviewer searches for in the bastion's markers ({@code "m"} events whose data is one
 * JSON object, see the bastion's README, "Recording"): what was run or reached, after a word that
 * says which.
 *
 * <pre>
 * {"event":"exec","command":"rm -rf /tmp/x"}      exec: rm -rf /tmp/x
 * {"event":"subsystem","name":"sftp"}              subsystem: sftp
 * {"event":"forward","host":"db01","port":5432}    forward: db01:5432
 * {"event":"sftp","op":"remove","path":"/etc/x"}   sftp: remove /etc/x
 * {"event":"sftp","op":"rename","path":"/a","to":"/b","refused":true}
 *                                                  sftp: refused rename /a -> /b
 * {"event":"ended","reason":"idle_timeout"}        session ended: idle_timeout
 * {"event":"ended","reason":"ended_by_admin","admin":"sam@example.com","admin_reason":"INC-9"}
 *                                                  session ended: ended_by_admin by sam@example.com: INC-9
 * </pre>
 *
 * The JSON keys, exit statuses, byte counts, signals and the reasons of gaps are nobody's search.
 */
final class MarkerText {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MarkerText() {
    }

    /** The searchable text of a marker's data, or null when it has none (another kind, or not writ's JSON). */
    static String of(String data) {
        JsonNode marker;
        try {
            marker = JSON.readTree(data);
        } catch (JsonProcessingException e) {
            return null; // a plain label, as asciinema writes them: not the bastion's
        }
        if (marker == null || !marker.isObject()) {
            return null;
        }
        return switch (marker.path("event").asText()) {
            case "exec" -> labelled("exec", marker.path("command"));
            case "subsystem" -> labelled("subsystem", marker.path("name"));
            case "forward" -> forward(marker.path("host"), marker.path("port"));
            case "sftp" -> sftp(marker);
            case "ended" -> ended(data);
            default -> null;
        };
    }

    private static String labelled(String label, JsonNode text) {
        return text.isTextual() ? label + ": " + text.asText() : null;
    }

    /** Why the bastion ended the session, and who did when an admin did: what a reviewer looks for after an incident. */
    private static String ended(String data) {
        String said = EndedMarker.describe(data);
        return said == null ? null : "session ended: " + said;
    }

    private static String sftp(JsonNode marker) {
        JsonNode op = marker.path("op");
        JsonNode path = marker.path("path");
        if (!op.isTextual() || !path.isTextual()) {
            return null;
        }
        String to = marker.path("to").isTextual() ? " -> " + marker.path("to").asText() : "";
        String refused = marker.path("refused").asBoolean(false) ? "refused " : "";
        return "sftp: " + refused + op.asText() + " " + path.asText() + to;
    }

    private static String forward(JsonNode host, JsonNode port) {
        if (!host.isTextual() || !(port.isNumber() || port.isTextual())) {
            return null;
        }
        String name = host.asText().contains(":") ? "[" + host.asText() + "]" : host.asText();
        return "forward: " + name + ":" + port.asText();
    }
}
