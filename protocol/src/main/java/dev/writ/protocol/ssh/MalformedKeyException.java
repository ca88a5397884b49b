package dev.writ.protocol.ssh;

/**
 * A key or certificate blob that OpenSSH's own parser would refuse. The message says what is
 * wrong in a few words, echoes client text only as short printable ASCII, and is safe to show.
 */
public final class MalformedKeyException extends Exception {

    private final boolean truncated;

    MalformedKeyException(String message, boolean truncated) {
        super(message);
        this.truncated = truncated;
    }

    /**
     * True when the blob simply ends too early: garbage or a cut-off paste rather than a crafted
     * blob, which callers may answer with their usual "not a valid key".
     */
    public boolean truncated() {
        return truncated;
    }
}
