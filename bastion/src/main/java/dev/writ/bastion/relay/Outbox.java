package dev.writ.bastion.relay;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.AbstractChannel;
import org.apache.sshd.common.channel.RemoteWindow;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * Everything the bastion sends on one channel, in order: data as the peer's window allows, and
 * control messages (requests, replies, EOF, close) behind the data queued before them. Memory is
 * bounded by the window of the channel the data came from, because that window is only released
 * (the {@code sent} callbacks) once the data has been written here. Callbacks run outside the
 * lock, so that a write completing at once never re-enters another channel's outbox under ours.
 */
final class Outbox {

    private final AbstractChannel channel;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private boolean closeQueued;

    Outbox(AbstractChannel channel) {
        this.channel = channel;
    }

    private sealed interface Item permits Data, Control, Close {
    }

    private static final class Data implements Item {
        final byte[] bytes;
        final int length;
        final boolean stderr;
        final Runnable sent;
        int offset;

        Data(byte[] bytes, int length, boolean stderr, Runnable sent) {
            this.bytes = bytes;
            this.length = length;
            this.stderr = stderr;
            this.sent = sent;
        }
    }

    private record Control(Buffer packet) implements Item {
    }

    private record Close() implements Item {
    }

    private record Written(IoWriteFuture future, Runnable then) {
    }

    void data(byte[] bytes, int length, boolean stderr, Runnable sent) {
        enqueue(new Data(bytes, length, stderr, sent));
    }

    void request(String type, boolean wantReply, byte[] payload) {
        Buffer packet = session().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, type.length() + payload.length + 32);
        packet.putUInt(channel.getRecipient());
        packet.putString(type);
        packet.putBoolean(wantReply);
        packet.putRawBytes(payload);
        enqueue(new Control(packet));
    }

    void reply(boolean success) {
        Buffer packet = session().createBuffer(success ? SshConstants.SSH_MSG_CHANNEL_SUCCESS : SshConstants.SSH_MSG_CHANNEL_FAILURE, 8);
        packet.putUInt(channel.getRecipient());
        enqueue(new Control(packet));
    }

    void eof() {
        Buffer packet = session().createBuffer(SshConstants.SSH_MSG_CHANNEL_EOF, 8);
        packet.putUInt(channel.getRecipient());
        enqueue(new Control(packet));
    }

    /** Closes the channel once everything queued before has been sent. */
    void close() {
        synchronized (this) {
            if (closeQueued) {
                return;
            }
            closeQueued = true;
        }
        enqueue(new Close());
    }

    /** Sends what the window allows; called again when the peer widens it. */
    void pump() {
        List<Written> written = new ArrayList<>();
        boolean close = false;
        synchronized (this) {
            while (!queue.isEmpty()) {
                Item head = queue.peek();
                if (head instanceof Data data) {
                    if (!sendSome(data, written)) {
                        break; // the window is full: wait for the peer's SSH_MSG_CHANNEL_WINDOW_ADJUST
                    }
                } else if (head instanceof Control control) {
                    written.add(new Written(write(control.packet()), null));
                    queue.poll();
                } else {
                    queue.clear();
                    close = true;
                }
            }
        }
        for (Written w : written) {
            if (w.then() != null) {
                w.future().addListener(f -> w.then().run()); // whether or not it was written: the sender is released either way
            }
        }
        if (close) {
            channel.close(false);
        }
    }

    /** Empties the queue without sending (the channel is gone), releasing every sender. */
    void discard() {
        List<Runnable> release = new ArrayList<>();
        synchronized (this) {
            for (Item item : queue) {
                if (item instanceof Data data) {
                    release.add(data.sent);
                }
            }
            queue.clear();
            closeQueued = true;
        }
        release.forEach(Runnable::run);
    }

    /** Writes as much of {@code data} as the window allows; true when all of it went out. */
    private boolean sendSome(Data data, List<Written> written) {
        RemoteWindow window = channel.getRemoteWindow();
        while (data.offset < data.length) {
            long room = Math.min(window.getSize(), window.getPacketSize());
            int chunk = (int) Math.min(data.length - data.offset, room);
            if (chunk <= 0) {
                return false;
            }
            window.consume(chunk);
            Buffer packet = session().createBuffer(data.stderr ? SshConstants.SSH_MSG_CHANNEL_EXTENDED_DATA
                    : SshConstants.SSH_MSG_CHANNEL_DATA, chunk + 16);
            packet.putUInt(channel.getRecipient());
            if (data.stderr) {
                packet.putUInt(SshConstants.SSH_EXTENDED_DATA_STDERR);
            }
            packet.putBytes(data.bytes, data.offset, chunk);
            data.offset += chunk;
            IoWriteFuture future = write(packet);
            if (data.offset == data.length) {
                written.add(new Written(future, data.sent));
            }
        }
        queue.poll();
        return true;
    }

    private IoWriteFuture write(Buffer packet) {
        try {
            return channel.writePacket(packet);
        } catch (IOException e) {
            channel.getSession().exceptionCaught(e);
            return org.apache.sshd.common.io.AbstractIoWriteFuture.fulfilled(channel.toString(), e);
        }
    }

    private void enqueue(Item item) {
        synchronized (this) {
            queue.add(item);
        }
        pump();
    }

    private Session session() {
        return channel.getSession();
    }
}
