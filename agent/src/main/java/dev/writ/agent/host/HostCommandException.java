package dev.writ.agent.host;

/** A {@code writ host} command failed; the message says what to do, in one line, without secrets. */
public final class HostCommandException extends Exception {

    public HostCommandException(String message) {
        super(message);
    }

    public HostCommandException(String message, Throwable cause) {
        super(message, cause);
    }
}
