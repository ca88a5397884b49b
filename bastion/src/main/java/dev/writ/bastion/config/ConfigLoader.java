package dev.writ.bastion.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.writ.protocol.config.YamlConfigErrors;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
        } catch (JsonProcessingException e) {
            throw new ConfigException(YamlConfigErrors.describe(sourceName, yaml, e));
        }
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
