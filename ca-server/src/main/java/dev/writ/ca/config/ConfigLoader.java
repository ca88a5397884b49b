package dev.writ.ca.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.writ.protocol.config.YamlConfigErrors;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads {@link CaConfig} from YAML; every problem is reported with file, line and key. */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .registerModule(new SimpleModule().addDeserializer(CaConfig.Listen.class, new ListenDeserializer()));

    private ConfigLoader() {
    }

    public static CaConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration (" + e.getClass().getSimpleName() + ")");
        }
        CaConfig config = parse(file.getFileName().toString(), text);
        Path base = file.toAbsolutePath().getParent();
        return config.resolvedAgainst(base);
    }

    /** Parses without resolving paths; {@code sourceName} is used in messages. */
    public static CaConfig parse(String sourceName, String yaml) throws ConfigException {
        if (yaml.isBlank()) {
            throw new ConfigException(sourceName + ": the configuration is empty");
        }
        try {
            return YAML.readValue(yaml, CaConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(YamlConfigErrors.describe(sourceName, yaml, e));
        }
    }

    private static final class ListenDeserializer extends FromStringDeserializer<CaConfig.Listen> {
        ListenDeserializer() {
            super(CaConfig.Listen.class);
        }

        @Override
        protected CaConfig.Listen _deserialize(String value, DeserializationContext ctxt) {
            return CaConfig.Listen.parse(value);
        }
    }
}
