package dev.writ.agent.config;

import com.fasterxml.jackson.databind.JsonMappingException;
import dev.writ.agent.Exit;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes {@code config.json}, the client config that {@code writ configure} creates. */
public final class ConfigStore {

    private final Path file;

    public ConfigStore(ClientFiles files) {
        this.file = files.config();
    }

    public ClientConfig load() throws WritException {
        if (!Files.exists(file)) {
            throw new WritException(Exit.NOT_CONFIGURED, "not configured: run writ configure --ca URL");
        }
        try {
            ClientConfig config = Json.MAPPER.readValue(file.toFile(), ClientConfig.class);
            if (config == null) {
                throw new IOException("empty");
            }
            return config;
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException invalid ? invalid : e;
            throw new WritException(Exit.NOT_CONFIGURED, "the client config " + file + " is invalid ("
                    + cause.getMessage().lines().findFirst().orElse("") + "): run writ configure --ca URL", e);
        } catch (IOException e) {
            throw new WritException(Exit.NOT_CONFIGURED, "cannot read the client config " + file
                    + ": run writ configure --ca URL", e);
        }
    }

    public void save(ClientConfig config) throws WritException {
        try {
            SecureFiles.privateDirectory(file.getParent());
            SecureFiles.writePrivate(file, Json.MAPPER.writeValueAsBytes(config));
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
