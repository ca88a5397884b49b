package dev.writ.protocol.ssh;

/** A public key that writ will not certify; the message is safe to show to the client. */
public final class InvalidKeyException extends Exception {
    public InvalidKeyException(String message) {
        super(message);
    }
}
