package dev.writ.ca.recording;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where recording files are kept: a local directory ({@link RecordingFiles}, the default) or an
 * S3-compatible bucket ({@link S3RecordingStorage}) that every CA replica reads. A recording is
 * named {@code <ab>/<id>.<sha256>.cast}, {@code ab} being the digest's first two hex digits: two
 * uploads of one id with different contents never share a name, so the one the store refuses can
 * be deleted without harm. The name is what the store keeps in {@code recordings.file}.
 */
public interface RecordingStorage extends AutoCloseable {

    /** The name of recording {@code id} whose file has this SHA-256. */
    static String name(String id, String sha256) {
        return sha256.substring(0, 2) + "/" + id + "." + sha256 + ".cast";
    }

    /**
     * Starts receiving the file of recording {@code id}, whose bastion signed digest
     * {@code sha256}: it is written as it arrives and becomes readable under its name only
     * when {@link Receiving#keep() kept}.
     */
    Receiving receive(String id, String sha256) throws IOException;

    /** The kept file, streamed; {@link java.nio.file.NoSuchFileException} when it is not there. */
    InputStream open(String name) throws IOException;

    /** Deletes a kept file that the store did not take (another upload of its id won). */
    void delete(String name) throws IOException;

    /** Where the files are, for messages and logs (never a secret). */
    String describe();

    @Override
    void close();

    /** A file being received. Closed without being kept, nothing of it stays. */
    interface Receiving extends AutoCloseable {

        void write(byte[] bytes, int offset, int length) throws IOException;

        /** Makes the file durable and readable under its name; returns the name. */
        String keep() throws IOException;

        @Override
        void close();
    }
}
