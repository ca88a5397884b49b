package dev.writ.ca.recording;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An upload's body as the CA reads it: at most {@code maxBytes}, hashed (SHA-256) and written to
 * its storage as it is read, so that the recording passes through memory one buffer at a time.
 * A failure to read the body, a body over the limit and a failure of the storage each have an
 * exception of their own.
 */
final class UploadBody extends InputStream {

    /** The body was larger than allowed. */
    static final class TooLarge extends IOException {
        TooLarge(long max) {
            super("the recording is larger than " + max + " bytes");
        }
    }

    /** Reading the request body failed (the client went away, say). */
    static final class BodyUnreadable extends IOException {
        BodyUnreadable(IOException cause) {
            super("the request body could not be read", cause);
        }
    }

    /** Writing to the storage failed. */
    static final class StorageFailed extends IOException {
        StorageFailed(IOException cause) {
            super("the recording could not be written to its storage: " + cause.getMessage(), cause);
        }
    }

    private final InputStream body;
    private final long maxBytes;
    private final RecordingStorage.Receiving target;
    private final MessageDigest sha256;
    private boolean storing = true;
    private long size;

    UploadBody(InputStream body, long maxBytes, RecordingStorage.Receiving target) {
        this.body = body;
        this.maxBytes = maxBytes;
        this.target = target;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n;
        try {
            n = body.read(buffer, offset, length);
        } catch (IOException e) {
            throw new BodyUnreadable(e);
        }
        if (n <= 0) {
            return n;
        }
        size += n;
        if (size > maxBytes) {
            throw new TooLarge(maxBytes);
        }
        sha256.update(buffer, offset, n);
        if (storing) {
            try {
                target.write(buffer, offset, n);
            } catch (IOException e) {
                throw new StorageFailed(e);
            }
        }
        return n;
    }

    /** Reads the rest of the body, only to hash it: it will not be kept. */
    void drain() throws IOException {
        storing = false;
        byte[] buffer = new byte[64 * 1024];
        while (read(buffer, 0, buffer.length) >= 0) {
            // hashed
        }
    }

    long size() {
        return size;
    }

    /** The digest of what was read, as 64 hex digits; call once, at the end. */
    String sha256() {
        return HexFormat.of().formatHex(sha256.digest());
    }
}
