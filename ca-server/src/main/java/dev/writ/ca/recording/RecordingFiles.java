package dev.writ.ca.recording;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The recording files under one directory (0700). An upload is received into {@code incoming/}
 * while its SHA-256 is computed, then kept read-only (0400) as {@code <ab>/<id>.<sha256>.cast},
 * where {@code ab} are the digest's first two hex digits: two uploads of one id with different
 * contents never share a file, so the one the store refuses can be deleted without harm.
 */
public final class RecordingFiles {

    /** A body received into {@code incoming/}, not yet kept. */
    public record Received(Path file, String sha256, long size) {
    }

    /** The body was larger than allowed; nothing was kept. */
    public static final class TooLarge extends IOException {
        TooLarge(long max) {
            super("the recording is larger than " + max + " bytes");
        }
    }

    /** Reading the request body failed (the client went away, say); nothing was kept. */
    public static final class BodyUnreadable extends IOException {
        BodyUnreadable(IOException cause) {
            super("the request body could not be read", cause);
        }
    }

    private static final String DIRECTORY_MODE = "rwx------";
    private static final String KEPT_MODE = "r--------";
    private static final int BUFFER = 64 * 1024;

    private final Path root;
    private final Path incoming;
    private final SecureRandom random = new SecureRandom();

    private RecordingFiles(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.incoming = this.root.resolve("incoming");
    }

    /** Opens (creating) the directory; leftovers of uploads cut short by a restart are deleted. */
    public static RecordingFiles open(Path root) throws IOException {
        RecordingFiles files = new RecordingFiles(root);
        directory(files.root);
        Files.setPosixFilePermissions(files.root, PosixFilePermissions.fromString(DIRECTORY_MODE));
        directory(files.incoming);
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(files.incoming)) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
            }
        }
        return files;
    }

    public Path root() {
        return root;
    }

    /** Writes {@code body} to a new file in {@code incoming/}, computing its digest; at most {@code maxBytes}. */
    public Received receive(InputStream body, long maxBytes) throws IOException {
        Path file = incoming.resolve(HexFormat.of().formatHex(bytes(12)) + ".part");
        MessageDigest sha256 = sha256();
        long size = 0;
        try (OutputStream out = Files.newOutputStream(Files.createFile(file,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))) {
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = read(body, buffer)) > 0; ) {
                size += n;
                if (size > maxBytes) {
                    throw new TooLarge(maxBytes);
                }
                sha256.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new Received(file, HexFormat.of().formatHex(sha256.digest()), size);
    }

    /** Makes a received file durable and read-only under its final name; returns that name, relative to the root. */
    public String keep(Received received, String id) throws IOException {
        String relative = received.sha256().substring(0, 2) + "/" + id + "." + received.sha256() + ".cast";
        Path target = root.resolve(relative);
        directory(target.getParent());
        try (FileChannel channel = FileChannel.open(received.file(), StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.setPosixFilePermissions(received.file(), PosixFilePermissions.fromString(KEPT_MODE));
        Files.move(received.file(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.getParent());
        return relative;
    }

    /** Deletes a received file that will not be kept. */
    public void discard(Received received) throws IOException {
        Files.deleteIfExists(received.file());
    }

    /** Deletes a kept file that the store did not take (another upload of its id won). */
    public void delete(String relative) throws IOException {
        Files.deleteIfExists(path(relative));
    }

    public InputStream open(String relative) throws IOException {
        return Files.newInputStream(path(relative));
    }

    /** The digest of a kept file as it is now. */
    public String sha256(String relative) throws IOException {
        MessageDigest sha256 = sha256();
        try (InputStream in = open(relative)) {
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha256.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    public boolean exists(String relative) {
        try {
            return Files.isRegularFile(path(relative));
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** A stored name resolved under the root; a name that would leave it is refused. */
    Path path(String relative) throws NoSuchFileException {
        Path path = root.resolve(relative).normalize();
        if (!path.startsWith(root) || path.startsWith(incoming)) {
            throw new NoSuchFileException(relative);
        }
        return path;
    }

    private byte[] bytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private static int read(InputStream body, byte[] buffer) throws BodyUnreadable {
        try {
            return body.read(buffer);
        } catch (IOException e) {
            throw new BodyUnreadable(e);
        }
    }

    private static void directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(DIRECTORY_MODE)));
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
