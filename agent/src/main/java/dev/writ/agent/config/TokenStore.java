package dev.writ.agent.config;

import dev.writ.agent.Exit;
import dev.writ.agent.Json;
import dev.writ.agent.WritException;
import dev.writ.agent.oidc.IdToken;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code tokens.json}: written 0600 in a 0700 directory, and refused when it is not ours, is a
 * symbolic link, or lets anyone else read or write it: a token file that others could read may
 * have leaked, and one they could write may hold someone else's identity.
 */
public final class TokenStore {

    private final Path file;
    private final Path lockFile;

    public TokenStore(ClientFiles files) {
        this.file = files.tokens();
        this.lockFile = files.tokensLock();
    }

    public Path file() {
        return file;
    }

    public boolean exists() {
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS);
    }

    public Tokens load() throws WritException {
        if (!exists()) {
            throw new WritException(Exit.NOT_LOGGED_IN, "not logged in: run writ login");
        }
        checkPrivate();
        Tokens tokens;
        try {
            tokens = Json.MAPPER.readValue(file.toFile(), Tokens.class);
            if (tokens == null || tokens.idToken() == null) {
                throw new IOException("no id_token");
            }
            IdToken.parse(tokens.idToken());
        } catch (IOException | java.text.ParseException e) {
            throw new WritException(Exit.TOKEN_FILE_CORRUPT, "the token file " + file
                    + " is corrupt: run writ login to replace it", e);
        }
        return tokens;
    }

    public void save(Tokens tokens) throws WritException {
        try {
            SecureFiles.privateDirectory(file.getParent());
            SecureFiles.writePrivate(file, Json.MAPPER.writeValueAsBytes(tokens));
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Forgets the tokens; true when there were some. */
    public boolean delete() throws WritException {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot delete " + file + ": " + e.getMessage(), e);
        }
    }

    /** A step that reads and writes the tokens. */
    public interface Update<T> {
        T apply() throws WritException;
    }

    /**
     * Runs {@code update} holding an exclusive lock on {@code tokens.lock}: a refresh token may
     * be single-use (rotation), so the agent and a {@code writ cert} must not both spend it.
     */
    public <T> T locked(Update<T> update) throws WritException {
        try {
            SecureFiles.privateDirectory(lockFile.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(SecureFiles.FILE_MODE));
                 FileLock ignored = channel.lock()) {
                return update.apply();
            }
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private void checkPrivate() throws WritException {
        try {
            if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new WritException(Exit.TOKEN_FILE_INSECURE, "refusing the token file " + file
                        + ": it is not a regular file (a link?); run writ logout and writ login");
            }
            String owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
            if (!owner.equals(System.getProperty("user.name"))) {
                throw new WritException(Exit.TOKEN_FILE_INSECURE, "refusing the token file " + file
                        + ": it belongs to " + owner + ", not to you; run writ logout and writ login");
            }
            if (!SecureFiles.looseBits(file).isEmpty()) {
                throw new WritException(Exit.TOKEN_FILE_INSECURE, "refusing the token file " + file + ": its mode is "
                        + SecureFiles.octalMode(file) + ", it must be 0600 (others may have read it:"
                        + " run writ logout, then writ login)");
            }
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
