package dev.writ.bastion.observe;

/**
 * Sees every byte and every event of one relayed channel, in the order the bastion relays them:
 * the seam where recording plugs in. Calls come from MINA's I/O threads; an implementation must
 * return quickly and never block (buffer, and apply the recording mode's policy when it cannot
 * keep up). The bytes passed are the relay's own and must be copied if kept.
 */
public interface ChannelObserver {

    /** Channel data; {@code stderr} for extended data (stream 1). */
    void data(Direction direction, boolean stderr, byte[] bytes, int offset, int length);

    /**
     * A channel request as relayed (after filtering and rewriting: a forced command appears as
     * the exec that was actually sent), or one the bastion refused ({@code relayed} false).
     * {@code payload} is the request-specific data in SSH wire format.
     */
    void request(Direction direction, String type, byte[] payload, boolean relayed);

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
