package dev.writ.bastion.relay;

/**
 * Reads a channel's data both ways and decides what passes (the SFTP packets of a subsystem
 * channel). The {@link Link} calls it under one lock for both directions, so that what it sends
 * back to a sender never lands inside a packet of the other direction.
 */
public interface StreamFilter {

    /** Bytes from the engineer, as they came (any cut); the filter sends on what passes through {@code out}. */
    void fromClient(byte[] bytes, int length, Output out);

    /** Bytes from the target. */
    void fromTarget(byte[] bytes, int length, Output out);

    /** What a filter may do with what it read. */
    interface Output {
        /** Passes bytes on, in the direction they were going. */
        void onward(byte[] bytes);

        /** Answers the sender itself (a refusal), in place of the other side. */
        void back(byte[] bytes);

        /** An operation on a file, for the recording; {@code to} is the new name of a rename, else null. */
        void fileOperation(String operation, String path, String to, boolean refused);

        /** A refused operation: audited, counted, logged. */
        void refused(Refusal refusal);

        /** The stream is not what it should be: the channel ends, and the refusal is audited. */
        void malformed(Refusal refusal);
    }
}
