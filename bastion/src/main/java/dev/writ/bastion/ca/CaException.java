package dev.writ.bastion.ca;

/** The CA refused a request or could not be reached; {@code status} is 0 when no answer came. */
public final class CaException extends Exception {

    private final int status;

    public CaException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
