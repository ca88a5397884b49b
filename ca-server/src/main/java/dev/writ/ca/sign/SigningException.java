package dev.writ.ca.sign;

/** The CA could not sign; never caused by the client's input. */
public final class SigningException extends Exception {
    public SigningException(String message, Throwable cause) {
        super(message, cause);
    }
}
