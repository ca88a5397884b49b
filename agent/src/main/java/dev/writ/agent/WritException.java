package dev.writ.agent;

/**
 * A fault the user can act on: one line of text (printed as {@code writ: <message>}) and the exit
 * code that names its kind. The message never contains a token or a key.
 */
public class WritException extends Exception {

    private final Exit exit;

    public WritException(Exit exit, String message) {
        this(exit, message, null);
    }

    public WritException(Exit exit, String message, Throwable cause) {
        super(oneLine(message), cause);
        this.exit = exit;
    }

    public Exit exit() {
        return exit;
    }

    /** Messages end up on one terminal line, whatever a server put into them. */
    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("[\\r\\n\\t]+", " ").strip();
    }
}
