package dev.writ.agent.identity;

import dev.writ.agent.config.SecureFiles;
import dev.writ.agent.sshagent.AgentKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * The fallback when no ssh-agent takes the key: {@code id_writ} and {@code id_writ-cert.pub},
 * both 0600, in a 0700 directory. The one case where writ puts a private key on disk, and it is
 * as short-lived as its certificate.
 */
public final class KeyFiles {

    public static final String KEY = "id_writ";
    public static final String CERTIFICATE = "id_writ-cert.pub";

    private KeyFiles() {
    }

    /** Writes both files into {@code dir}; returns the private key's path. */
    public static Path write(AgentKey key, Path dir, String comment) throws IOException, GeneralSecurityException {
        SecureFiles.privateDirectory(dir);
        Path keyFile = dir.resolve(KEY);
        key.exportPrivateKeyToFile(keyFile, comment);
        SecureFiles.writePrivate(dir.resolve(CERTIFICATE),
                (key.certificate().line() + " " + comment + "\n").getBytes(StandardCharsets.UTF_8));
        return keyFile;
    }

    /** Deletes both files; true when there was something to delete. */
    public static boolean delete(Path dir) throws IOException {
        boolean key = Files.deleteIfExists(dir.resolve(KEY));
        boolean certificate = Files.deleteIfExists(dir.resolve(CERTIFICATE));
        return key || certificate;
    }
}
