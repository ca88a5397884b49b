package dev.writ.bastion.record;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory recordings are written to, mode 0700:
 *
 * <pre>
 * ID.cast.part      being written (a channel is open, or the bastion stopped before it closed)
 * ID.cast           finished, waiting for upload; deleted once the CA confirmed its digest
 * ID.cast.tmp       being closed as truncated after a crash (replaced atomically by ID.cast)
 * rejected/ID.cast  refused by the CA for good (4xx), kept aside with ID.reason for an operator
 * </pre>
 *
 * <p>Whether it can be written is probed every second; while it cannot, strict sessions are refused.
 */
final class Spool {

    static final String PART = ".cast.part";
    static final String DONE = ".cast";
    static final String TMP = ".cast.tmp";
    static final String REJECTED = "rejected";
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final Path dir;
    private volatile String problem;

    private Spool(Path dir) {
        this.dir = dir;
    }

    /** The spool at {@code dir}, created (0700) when missing. A spool that cannot be used is reported, not fatal. */
    static Spool open(Path dir) {
        Spool spool = new Spool(dir);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PRIVATE_DIR);
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            spool.failed(describe(e));
        }
        spool.probe();
        return spool;
    }

    Path dir() {
        return dir;
    }

    Path part(String id) {
        return dir.resolve(id + PART);
    }

    Path done(String id) {
        return dir.resolve(id + DONE);
    }

    /** The recording is complete: it joins the upload queue. */
    void finish(String id) throws IOException {
        Files.move(part(id), done(id), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Finished recordings waiting for upload, oldest first. */
    List<Path> finished() {
        return list(DONE);
    }

    /** Recordings whose channel never closed: what a crash leaves behind. */
    List<Path> unfinished() {
        return list(PART);
    }

    List<Path> leftovers() {
        return list(TMP);
    }

    /** Moves recording {@code id} aside for an operator (the CA refused it for good), with why next to it. */
    void reject(Path file, String id, String why) throws IOException {
        Path rejected = dir.resolve(REJECTED);
        Files.createDirectories(rejected, PRIVATE_DIR);
        Files.move(file, rejected.resolve(id + DONE), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(rejected.resolve(id + ".reason"), why + "\n", StandardCharsets.UTF_8);
    }

    /** The id of a recording file in the spool. */
    static String id(Path file) {
        String name = file.getFileName().toString();
        for (String suffix : List.of(PART, TMP, DONE)) {
            if (name.endsWith(suffix)) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    /** Null while the spool can be written, else why not. */
    String problem() {
        return problem;
    }

    /** A write failed: the spool counts as unwritable until the next probe says otherwise. */
    void failed(String why) {
        if (problem == null) {
            LOG.error("the recording spool {} cannot be written: {}", dir, why);
        }
        problem = why;
    }

    /** Writes, reads back and deletes a small file: the spool is writable when that works. */
    void probe() {
        Path probe = dir.resolve(".probe");
        try {
            if (!Files.isDirectory(dir)) {
                throw new IOException(dir + " is not a directory");
            }
            Files.write(probe, new byte[] {'w', 'r', 'i', 't'}, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
            Files.delete(probe);
            if (problem != null) {
                LOG.info("the recording spool {} can be written again", dir);
            }
            problem = null;
        } catch (IOException e) {
            failed(describe(e));
        }
    }

    /** A one-line description of an I/O failure: what and where, for logs and the audit log. */
    static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + ": " + fs.getFile();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private List<Path> list(String suffix) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + suffix)) {
            for (Path entry : entries) {
                if (Files.isRegularFile(entry)) {
                    files.add(entry);
                }
            }
        } catch (IOException e) {
            failed(describe(e));
            return List.of();
        }
        files.sort(Comparator.comparing(Spool::modified).thenComparing(Path::toString));
        return files;
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }
}
