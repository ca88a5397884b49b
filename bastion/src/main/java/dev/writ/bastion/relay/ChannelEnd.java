package dev.writ.bastion.relay;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.sshd.common.channel.AbstractChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's side of one SSH channel, whichever way it was opened: it passes what the peer
 * sends to a {@link ChannelSink} and sends through an {@link Outbox}. It keeps request replies in
 * order both ways: those we owe the peer, and those we wait for from it.
 */
public final class ChannelEnd {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelEnd.class);

    private final AbstractChannel channel;
    private final Outbox outbox;
    private final ArrayDeque<ReplySlot> owed = new ArrayDeque<>();
    private final ArrayDeque<Consumer<Boolean>> awaited = new ArrayDeque<>();
    private volatile ChannelSink sink;

    ChannelEnd(AbstractChannel channel) {
        this.channel = channel;
        this.outbox = new Outbox(channel);
    }

    public AbstractChannel channel() {
        return channel;
    }

    /** Where this channel's events go; set before data can flow. */
    public void attach(ChannelSink sink) {
        this.sink = sink;
    }

    // --- from the peer, called by the channel classes ---

    void received(byte[] data, int offset, long length, boolean stderr) {
        byte[] copy = new byte[(int) length]; // MINA reuses its buffer once we return
        System.arraycopy(data, offset, copy, 0, (int) length);
        ChannelSink target = sink;
        if (target == null) {
            release(length); // nothing to deliver to: drop, and let the peer go on
            return;
        }
        target.data(this, copy, (int) length, stderr);
    }

    void eofReceived() {
        ChannelSink target = sink;
        if (target != null) {
            target.eof(this);
        }
    }

    void requestReceived(String type, boolean wantReply, byte[] payload) {
        ReplySlot reply = null;
        if (wantReply) {
            reply = new ReplySlot(this);
            synchronized (owed) {
                owed.add(reply);
            }
        }
        ChannelSink target = sink;
        if (target == null) {
            if (reply != null) {
                reply.answer(false);
            }
            return;
        }
        target.request(this, type, payload, reply);
    }

    /** The peer answered a request we sent it (answers come in order). */
    void answerReceived(boolean success) {
        Consumer<Boolean> answer;
        synchronized (awaited) {
            answer = awaited.poll();
        }
        if (answer == null) {
            LOG.debug("unexpected request reply on {}", channel);
            return;
        }
        answer.accept(success);
    }

    void closedByEitherSide() {
        outbox.discard();
        List<Consumer<Boolean>> pending;
        synchronized (awaited) {
            pending = new ArrayList<>(awaited);
            awaited.clear();
        }
        pending.forEach(answer -> answer.accept(false));
        ChannelSink target = sink;
        if (target != null) {
            target.closed(this);
        }
    }

    void windowExpanded() {
        outbox.pump();
    }

    // --- towards the peer ---

    /** Sends data; {@code sent} runs once it is written (to release the window it came from). */
    public void send(byte[] bytes, int length, boolean stderr, Runnable sent) {
        outbox.data(bytes, length, stderr, sent);
    }

    /** Sends a request; {@code answer} (null: no reply wanted) receives the peer's reply. */
    public void sendRequest(String type, byte[] payload, Consumer<Boolean> answer) {
        if (answer != null) {
            synchronized (awaited) {
                awaited.add(answer);
            }
        }
        outbox.request(type, answer != null, payload);
    }

    public void sendEof() {
        outbox.eof();
    }

    /** Closes the channel after everything queued. */
    public void close() {
        outbox.close();
    }

    /** Widens this channel's window by what was consumed, so the peer may send more. */
    public void release(long length) {
        if (channel.isClosing()) {
            return;
        }
        try {
            channel.getLocalWindow().release(length);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot release {} bytes of window on {}: {}", length, channel, e.toString());
        }
    }

    /** Sends the replies we owe, oldest first, as far as they are decided. */
    void flushReplies() {
        synchronized (owed) {
            while (!owed.isEmpty() && owed.peek().success() != null) {
                outbox.reply(owed.poll().success());
            }
        }
    }
}
