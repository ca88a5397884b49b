package dev.writ.ca.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.writ.ca.RequestRefused;

/** JSON in and out of the API: unknown fields are refused, not ignored. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private Json() {
    }

    static <T> T read(byte[] body, Class<T> type) throws RequestRefused {
        if (body.length == 0) {
            throw RequestRefused.badRequest("bad_json", "the request body is empty; a JSON object is expected");
        }
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw RequestRefused.badRequest("bad_json", "the request body must be a JSON object");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw RequestRefused.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "'");
        } catch (MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
            throw RequestRefused.badRequest("bad_json", field == null
                    ? "the request body must be a JSON object"
                    : "field '" + field + "' has the wrong type");
        } catch (JsonProcessingException e) {
            throw RequestRefused.badRequest("bad_json", "the request body is not valid JSON");
        } catch (java.io.IOException e) {
            throw RequestRefused.badRequest("bad_json", "the request body could not be read");
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a response", e);
        }
    }
}
