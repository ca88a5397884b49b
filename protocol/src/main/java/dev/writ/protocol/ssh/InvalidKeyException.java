package dev.writ.protocol.ssh;

/** A public key that writ will not certify; the message is safe to show to the client. */
public final class InvalidKeyException extends Exception {

    private final boolean malformed;

    public InvalidKeyException(String message) {
        this(message, false);
    }

    InvalidKeyException(String message, boolean malformed) {
        super(message);
        this.malformed = malformed;
    }

    /**
     * True when the bytes break the encoding rules OpenSSH enforces ({@link StrictSshBlob}): a
     * malformed request, as opposed to a key writ does not want or text that is no key at all.
     */
    public boolean malformed() {
        return malformed;
    }
}
