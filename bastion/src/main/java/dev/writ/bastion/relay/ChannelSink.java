package dev.writ.bastion.relay;

/**
 * Where the events a relayed channel receives from its peer go: a {@link Link} to the channel
 * on the other side of the bastion, or the transport of an intercepted ProxyJump connection.
 */
public interface ChannelSink {

    /** The channel was confirmed to its peer: data may flow from now on. */
    default void opened(ChannelEnd end) {
    }

    /** Data from the peer; the sink owns {@code bytes} and must {@link ChannelEnd#release} them once delivered. */
    void data(ChannelEnd from, byte[] bytes, int length, boolean stderr);

    /** The peer sends no more data. */
    void eof(ChannelEnd from);

    /**
     * A channel request from the peer; {@code reply} is null when none is wanted, else it must be
     * answered (replies go back in the order the requests came).
     */
    void request(ChannelEnd from, String type, byte[] payload, ReplySlot reply);

    /** The channel is closed. */
    void closed(ChannelEnd from);
}
