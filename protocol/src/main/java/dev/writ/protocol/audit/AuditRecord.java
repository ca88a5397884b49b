package dev.writ.protocol.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;

/**
 * One event of the audit log as stored, with its place in the hash chain: one line of
 * {@code GET /v1/audit} ({@code application/x-ndjson}).
 *
 * <p>{@code details} is the canonical JSON text the hash covers (keys sorted, no whitespace). On
 * the wire it is an embedded JSON object, and reading a line back re-serializes that object
 * compactly, which reproduces the text exactly, so that {@link AuditChain#verify} can check lines
 * a client received. A stored text that is not a JSON object travels as a JSON string instead.
 *
 * @param at            when it happened; the hash covers its epoch milliseconds
 * @param clientAddress where the request came from; may be null
 */
public record AuditRecord(
        @JsonProperty("seq") long seq,
        @JsonProperty("at") @JsonSerialize(using = ToStringSerializer.class) @JsonDeserialize(using = InstantText.class)
        Instant at,
        @JsonProperty("type") String type,
        @JsonProperty("actor") String actor,
        @JsonProperty("outcome") String outcome,
        @JsonProperty("client_address") String clientAddress,
        @JsonProperty("details") @JsonSerialize(using = RawJsonWriter.class) @JsonDeserialize(using = RawJson.class)
        String details,
        @JsonProperty("prev_hash") String prevHash,
        @JsonProperty("hash") String hash) {

    private static final ObjectMapper COMPACT = new ObjectMapper();

    public AuditRecord {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(details, "details");
        Objects.requireNonNull(prevHash, "prevHash");
        Objects.requireNonNull(hash, "hash");
    }

    /** Whether {@code text} can be embedded as a JSON object on the wire (else it travels as a string). */
    public static boolean isJsonObject(String text) {
        try {
            return COMPACT.readTree(text) instanceof ObjectNode;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes {@code details} as the embedded JSON object it is, or as a string when it is not one. */
    static final class RawJsonWriter extends JsonSerializer<String> {
        @Override
        public void serialize(String value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            if (isJsonObject(value)) {
                gen.writeRawValue(value);
            } else {
                gen.writeString(value);
            }
        }
    }

    /** Reads {@code at} from its RFC 3339 text. */
    static final class InstantText extends JsonDeserializer<Instant> {
        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            try {
                return Instant.parse(p.getValueAsString());
            } catch (RuntimeException e) {
                throw ctxt.weirdStringException(p.getText(), Instant.class, "not an RFC 3339 instant");
            }
        }
    }

    /** Reads {@code details} back to its canonical text: an object re-serialized compactly, a string as is. */
    static final class RawJson extends JsonDeserializer<String> {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return p.getText();
            }
            JsonNode node = p.readValueAsTree();
            return COMPACT.writeValueAsString(node);
        }
    }
}
