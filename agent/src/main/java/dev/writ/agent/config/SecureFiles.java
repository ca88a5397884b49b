package dev.writ.agent.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Private directories (0700) and files (0600). Files are written to a temporary file that is
 * created 0600 and then renamed over the target, so no reader ever sees a half-written or
 * briefly world-readable file.
 */
public final class SecureFiles {

    public static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecureFiles() {
    }

    /** Creates {@code dir} with mode 0700, or tightens it to 0700 when it exists. */
    public static Path privateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.getPosixFilePermissions(dir).equals(DIR_MODE)) {
                Files.setPosixFilePermissions(dir, DIR_MODE);
            }
            return dir;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        // the umask may have narrowed the mode we asked for; never widened it, but make it exact
        Files.setPosixFilePermissions(dir, DIR_MODE);
        return dir;
    }

    /** Writes {@code content} to {@code file} with mode 0600, atomically, in a 0700 directory. */
    public static void writePrivate(Path file, byte[] content) throws IOException {
        write(file, content, FILE_MODE);
    }

    /** Writes {@code content} atomically with the given mode (the directory is left as it is). */
    public static void write(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        FileAttribute<Set<PosixFilePermission>> privateMode = PosixFilePermissions.asFileAttribute(FILE_MODE);
        Path temporary = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", privateMode);
        try {
            Files.write(temporary, content);
            if (!mode.equals(FILE_MODE)) {
                Files.setPosixFilePermissions(temporary, mode);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** The permissions of {@code file} that let anyone but its owner in; empty when there are none. */
    public static Set<PosixFilePermission> looseBits(Path file) throws IOException {
        Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
        loose.addAll(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
        loose.retainAll(GROUP_OR_OTHERS);
        return loose;
    }

    /** {@code 0644}-style text of a file's mode, for messages. */
    public static String octalMode(Path file) throws IOException {
        int mode = 0;
        for (PosixFilePermission permission : Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)) {
            mode |= 1 << (8 - permission.ordinal());
        }
        return String.format("%04o", mode);
    }
}
