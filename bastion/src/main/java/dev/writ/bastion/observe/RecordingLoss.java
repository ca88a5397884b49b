package dev.writ.bastion.observe;

/**
 * What a channel's recording lost, once it is settled: bytes of data that never reached the
 * recording (best effort mode), and the first reason. {@link #NONE} when it is complete.
 */
public record RecordingLoss(long bytes, String reason) {

    public static final RecordingLoss NONE = new RecordingLoss(0, null);

    /** Both losses together; the first reason stays. */
    public RecordingLoss plus(RecordingLoss other) {
        return other.bytes == 0 ? this : new RecordingLoss(bytes + other.bytes, reason != null ? reason : other.reason);
    }
}
