package dev.writ.protocol.krl;

/** Bytes that are not a KRL writ can read; the message says what is wrong. */
public final class KrlFormatException extends Exception {
    public KrlFormatException(String message) {
        super(message);
    }
}
