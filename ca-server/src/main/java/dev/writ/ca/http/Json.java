package dev.writ.ca.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
        } catch (JsonProcessingException e) {
            if (overLimit(e)) {
                throw RequestRefused.badRequest("bad_json", "the request body is beyond what the CA reads:"
                        + " JSON nested over 1000 deep, or a number over 1000 digits");
            }
            throw refusal(e);
        } catch (java.io.IOException e) {
            throw RequestRefused.badRequest("bad_json", "the request body could not be read");
        }
    }

    /** Jackson's own limits on nesting and number length, however it wrapped them. */
    private static boolean overLimit(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StreamConstraintsException) {
                return true;
            }
        }
        return false;
    }

    private static RequestRefused refusal(JsonProcessingException failure) {
        if (failure instanceof UnrecognizedPropertyException e) {
            return RequestRefused.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "'");
        }
        if (failure instanceof MismatchedInputException e) {
            String field = null; // the innermost field: an array's elements have none of their own
            for (var reference : e.getPath()) {
                field = reference.getFieldName() != null ? reference.getFieldName() : field;
            }
            return RequestRefused.badRequest("bad_json", field == null
                    ? "the request body must be a JSON object"
                    : "field '" + field + "' has the wrong type");
        }
        return RequestRefused.badRequest("bad_json", "the request body is not valid JSON");
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a response", e);
        }
    }
}
