package dev.writ.bastion.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Loads {@link BastionConfig} from YAML; every problem is reported as {@code file:line: key: reason}. */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .registerModule(new SimpleModule().addDeserializer(BastionConfig.Address.class, new AddressDeserializer()));

    private ConfigLoader() {
    }

    public static BastionConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration (" + e.getClass().getSimpleName() + ")");
        }
        return parse(file.getFileName().toString(), text).resolvedAgainst(file.toAbsolutePath().getParent());
    }

    /** Parses without resolving paths; {@code sourceName} is used in messages. */
    public static BastionConfig parse(String sourceName, String yaml) throws ConfigException {
        if (yaml.isBlank()) {
            throw new ConfigException(sourceName + ": the configuration is empty");
        }
        try {
            return YAML.readValue(yaml, BastionConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(sourceName + ":" + lineOfKey(yaml, e.getPropertyName(), e.getLocation())
                    + ": unknown key '" + e.getPropertyName() + "'" + inPath(e) + "; known keys: "
                    + e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", ")));
        } catch (MismatchedInputException e) {
            boolean ours = e.getCause() instanceof IllegalArgumentException; // a value our own parsing refused
            throw new ConfigException(where(sourceName, e.getLocation()) + pathOf(e) + ": "
                    + (ours ? rootMessage(e) : "has the wrong type"));
        } catch (JsonMappingException e) {
            String message = rootMessage(e);
            String path = pathOf(e);
            if (path.isEmpty()) {
                // a check across keys, made once the whole file is read: point at the key the message names
                String key = message.split("[ .:]", 2)[0];
                throw new ConfigException(sourceName + ":" + lineOfKey(yaml, key, e.getLocation()) + ": " + message);
            }
            // a check of a whole section, reported by Jackson past its end: point at the section's key
            throw new ConfigException(sourceName + ":" + lineOfKey(yaml, lastKey(e), e.getLocation()) + ": " + path + ": " + message);
        } catch (JsonProcessingException e) {
            throw new ConfigException(where(sourceName, e.getLocation()) + "invalid YAML: "
                    + e.getOriginalMessage().lines().findFirst().orElse("").strip());
        }
    }

    /** The line of a key that occurs once in the file; Jackson reports record checks past the mapping's end. */
    private static int lineOfKey(String yaml, String key, JsonLocation fallback) {
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

    private static final class AddressDeserializer extends FromStringDeserializer<BastionConfig.Address> {
        AddressDeserializer() {
            super(BastionConfig.Address.class);
        }

        @Override
        protected BastionConfig.Address _deserialize(String value, DeserializationContext ctxt) {
            return BastionConfig.Address.parse(value, -1);
        }
    }
}
