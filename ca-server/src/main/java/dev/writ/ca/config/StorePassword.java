package dev.writ.ca.config;

import dev.writ.ca.keys.KeyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The PostgreSQL store's password: from the environment variable {@value #ENV}, else from the
 * config's {@code store_password_file} (mode 0600, refused when looser; its first line, without
 * the line break), else none (the server then decides, e.g. by a client certificate). It is
 * handed to the driver only: never logged, never in a message.
 */
public final class StorePassword {

    public static final String ENV = "WRIT_STORE_PASSWORD";

    private StorePassword() {
    }

    public static String read(Path file, Map<String, String> environment) throws ConfigException {
        String fromEnvironment = environment.get(ENV);
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            return fromEnvironment;
        }
        if (file == null) {
            return null;
        }
        try {
            KeyFiles.requireOwnerOnly(file);
            String text = Files.readString(file);
            int end = text.indexOf('\n');
            String password = (end < 0 ? text : text.substring(0, end)).stripTrailing();
            if (password.isEmpty()) {
                throw new ConfigException("store_password_file " + file + " is empty");
            }
            return password;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("store_password_file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("store_password_file: " + e.getMessage());
        }
    }
}
