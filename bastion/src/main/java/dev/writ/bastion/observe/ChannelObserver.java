package dev.writ.bastion.observe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees every byte and every event of one relayed channel, in the order the bastion relays them:
 * the seam where recording plugs in. Calls come from MINA's I/O threads; an implementation must
 * return quickly and never block: it buffers, and when it cannot keep up it holds the relay back
 * through {@link #room()} rather than lose what passes. The bytes passed are the relay's own and
 * must be copied if kept.
 */
public interface ChannelObserver {

    /** Completes at once: there is room. */
    CompletionStage<Void> ROOM = CompletableFuture.completedFuture(null);

    /** Channel data; {@code stderr} for extended data (stream 1). */
    void data(Direction direction, boolean stderr, byte[] bytes, int offset, int length);

    /**
     * Completes when the observer can take more data. The relay acknowledges the data it just
     * passed (the SSH channel window) only then, so a sender outrunning the observer waits, one
     * window at most, instead of the observer dropping bytes.
     */
    default CompletionStage<Void> room() {
        return ROOM;
    }

    /**
     * A channel request as relayed (after filtering and rewriting: a forced command appears as
     * the exec that was actually sent), or one the bastion refused ({@code relayed} false).
     * {@code payload} is the request-specific data in SSH wire format.
     */
    void request(Direction direction, String type, byte[] payload, boolean relayed);

    /**
     * An operation on a file inside an SFTP channel ({@code open-read}, {@code remove}, {@code rename}, ...),
     * allowed or refused; {@code to} is the new name of a rename or link, else null.
     */
    default void fileOperation(String operation, String path, String to, boolean refused) {
    }

    /** The sender will send no more data in this direction. */
    void eof(Direction direction);

    /** The channel is gone; the last call. */
    void closed();

    /** Observes nothing. */
    ChannelObserver NONE = new ChannelObserver() {
        @Override
        public void data(Direction direction, boolean stderr, byte[] bytes, int offset, int length) {
        }

        @Override
        public void request(Direction direction, String type, byte[] payload, boolean relayed) {
        }

        @Override
        public void eof(Direction direction) {
        }

        @Override
        public void closed() {
        }
    };
}
