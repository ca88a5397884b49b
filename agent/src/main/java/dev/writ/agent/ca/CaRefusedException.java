package dev.writ.agent.ca;

import dev.writ.agent.Exit;
import dev.writ.agent.WritException;

/** The CA answered with an error; {@link #status()} tells a rejected token (401) from the rest. */
public final class CaRefusedException extends WritException {

    private final int status;

    public CaRefusedException(int status, String detail) {
        super(Exit.CA_REFUSED, "the CA refused: " + detail + " (HTTP " + status + ")");
        this.status = status;
    }

    public int status() {
        return status;
    }
}
