package dev.writ.bastion.relay;

import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelListener;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.util.buffer.Buffer;

/** A channel whose every event goes to its {@link ChannelEnd}, never to MINA's own handling. */
public interface RelayedChannel {

    ChannelEnd end();

    /** Hands every channel request, raw, to the channel's end; the relay answers it (in order) itself. */
    RequestHandler<Channel> RELAY_REQUESTS = (channel, type, wantReply, buffer) -> {
        ((RelayedChannel) channel).end().requestReceived(type, wantReply, rest(buffer));
        return RequestHandler.Result.Replied;
    };

    /** Tells the end when the channel is gone, whoever closed it. */
    ChannelListener CLOSE_LISTENER = new ChannelListener() {
        @Override
        public void channelClosed(Channel channel, Throwable reason) {
            ((RelayedChannel) channel).end().closedByEitherSide();
        }
    };

    static byte[] rest(Buffer buffer) {
        byte[] payload = new byte[buffer.available()];
        buffer.getRawBytes(payload);
        return payload;
    }
}
