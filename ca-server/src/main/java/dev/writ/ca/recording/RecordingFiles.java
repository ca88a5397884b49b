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
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.LoggerFactory;

/**
 * The recording files under one directory (0700), the default {@link RecordingStorage}. An upload
 * is received into {@code incoming/}, then kept read-only (0400) under its name.
 */
public final class RecordingFiles implements RecordingStorage {

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

    @Override
    public Receiving receive(String id, String sha256) throws IOException {
        Path file = incoming.resolve(HexFormat.of().formatHex(bytes(12)) + ".part");
        OutputStream out = Files.newOutputStream(Files.createFile(file,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
        return new Incoming(file, out, RecordingStorage.name(id, sha256));
    }

    /** A file in {@code incoming/}: moved under its name when kept, deleted otherwise. */
    private final class Incoming implements Receiving {
        private final Path file;
        private final OutputStream out;
        private final String name;
        private boolean kept;

        Incoming(Path file, OutputStream out, String name) {
            this.file = file;
            this.out = new java.io.BufferedOutputStream(out, BUFFER);
            this.name = name;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
        }

        @Override
        public String keep() throws IOException {
            out.close();
            Path target = root.resolve(name);
            directory(target.getParent());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(KEPT_MODE));
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(target.getParent());
            kept = true;
            return name;
        }

        @Override
        public void close() {
            if (kept) {
                return;
            }
            try {
                out.close();
            } catch (IOException e) {
                // deleted below all the same
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LoggerFactory.getLogger(RecordingFiles.class).warn("cannot delete {}: {}", file, e.toString());
            }
        }
    }

    @Override
    public void delete(String relative) throws IOException {
        Files.deleteIfExists(path(relative));
    }

    @Override
    public InputStream open(String relative) throws IOException {
        return Files.newInputStream(path(relative));
    }

    @Override
    public String describe() {
        return "directory " + root;
    }

    @Override
    public void close() {
        // nothing is held open between calls
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
}
