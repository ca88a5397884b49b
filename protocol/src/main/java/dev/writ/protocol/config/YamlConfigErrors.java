package dev.writ.protocol.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns what Jackson reports while binding a YAML config file into one line that names the file,
 * the line and the key: {@code ca.yaml:8: unknown key 'listne'; known keys: ...}. Shared by the
 * CA's and the bastion's config loaders, which both bind records with validating constructors.
 */
public final class YamlConfigErrors {

    private YamlConfigErrors() {
    }

    public static String describe(String source, String yaml, JsonProcessingException failure) {
        if (failure instanceof UnrecognizedPropertyException e) {
            return source + ":" + lineOfKey(yaml, e.getPropertyName(), e.getLocation()) + ": unknown key '"
                    + e.getPropertyName() + "'" + inPath(e) + "; known keys: " + e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
        }
        if (failure instanceof MismatchedInputException e) {
            boolean ours = e.getCause() instanceof IllegalArgumentException; // a value our own parsing refused
            return where(source, e.getLocation()) + pathOf(e) + ": " + (ours ? rootMessage(e) : "has the wrong type");
        }
        if (failure instanceof JsonMappingException e) {
            String message = rootMessage(e);
            String path = pathOf(e);
            if (path.isEmpty()) {
                // a check across keys, made once the whole file is read: point at the key the message names
                String key = message.split("[ .:]", 2)[0];
                return source + ":" + lineOfKey(yaml, key, e.getLocation()) + ": " + message;
            }
            // a check of a whole section, reported by Jackson past its end: point at the section's key
            return source + ":" + lineOfKey(yaml, lastKey(e), e.getLocation()) + ": " + path + ": " + message;
        }
        return where(source, failure.getLocation()) + "invalid YAML: "
                + failure.getOriginalMessage().lines().findFirst().orElse("").strip();
    }

    /** The line of a key that occurs once in the file; Jackson reports record checks past the mapping's end. */
    static int lineOfKey(String yaml, String key, JsonLocation fallback) {
        Pattern keyLine = Pattern.compile("^\\s*(?:-\\s+)?[\"']?" + Pattern.quote(key) + "[\"']?\\s*:");
        String[] lines = yaml.split("\n", -1);
        int found = -1;
        for (int i = 0; i < lines.length; i++) {
            if (keyLine.matcher(lines[i]).find()) {
                if (found >= 0) {
                    return fallback == null ? 0 : fallback.getLineNr();
                }
                found = i + 1;
            }
        }
        return found > 0 ? found : fallback == null ? 0 : fallback.getLineNr();
    }

    private static String lastKey(JsonMappingException e) {
        String key = null;
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                key = ref.getFieldName();
            }
        }
        return key == null ? "" : key;
    }

    private static String where(String source, JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? source + ": " : source + ":" + location.getLineNr() + ": ";
    }

    private static String inPath(JsonMappingException e) {
        String path = pathOf(e);
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : " in " + path.substring(0, dot);
    }

    private static String pathOf(JsonMappingException e) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    /** The message of the innermost cause: our own validation messages, not Jackson's wrapping. */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof JsonProcessingException jpe) {
            return jpe.getOriginalMessage();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
