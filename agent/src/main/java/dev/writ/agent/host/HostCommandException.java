package dev.writ.agent.host;

import dev.writ.agent.Exit;

/**
 * A {@code writ host} command failed; the message says what to do, in one line, without secrets,
 * and {@link #exit()} is its documented exit code (a local file unless said otherwise).
 */
public final class HostCommandException extends Exception {

    private final Exit exit;

    public HostCommandException(String message) {
        this(Exit.LOCAL_FILES, message);
    }

    public HostCommandException(String message, Throwable cause) {
        this(Exit.LOCAL_FILES, message, cause);
    }

    public HostCommandException(Exit exit, String message) {
        super(message);
        this.exit = exit;
    }

    public HostCommandException(Exit exit, String message, Throwable cause) {
        super(message, cause);
        this.exit = exit;
    }

    public Exit exit() {
        return exit;
    }
}
