package dev.writ.ca.keys;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Files that hold secrets: created 0600 in a 0700 directory, refused when looser. */
public final class KeyFiles {

    private static final Set<PosixFilePermission> LOOSE = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFiles() {
    }

    /** Creates {@code dir} with mode 0700 when it does not exist. */
    public static void ensurePrivateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    /** Throws when the file can be read or written by anyone but its owner. */
    public static void requireOwnerOnly(Path file) throws IOException {
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        if (permissions.stream().anyMatch(LOOSE::contains)) {
            throw new IOException(file + " has mode " + PosixFilePermissions.toString(permissions)
                    + "; it holds a secret and must be readable by its owner only (chmod 600 " + file + ")");
        }
    }

    /** Writes {@code content} to {@code file} atomically, mode 0600 from the first byte. */
    public static void writeSecret(Path file, byte[] content) throws IOException {
        writeAtomically(file, content, "rw-------");
    }

    /** Writes a public file (mode 0644) atomically. */
    public static void writePublic(Path file, byte[] content) throws IOException {
        writeAtomically(file, content, "rw-r--r--");
    }

    private static void writeAtomically(Path file, byte[] content, String mode) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temp, content);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(mode));
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
