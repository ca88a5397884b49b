package dev.writ.bastion.relay;

import dev.writ.bastion.observe.ChannelObserver;
import dev.writ.bastion.observe.Direction;
import java.nio.charset.StandardCharsets;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One relayed channel: the engineer's end and the target's end, and the one place every byte,
 * request, EOF and close of the channel passes, in order, on its way across the bastion. The
 * {@link ChannelObserver} (recording) and the {@link RequestPolicy} (enforcement) sit here.
 */
public final class Link implements ChannelSink {

    private final ChannelEnd client;
    private final ChannelEnd target;
    private final RequestPolicy policy;
    private final ChannelObserver observer;
    private final LinkEvents events;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once a relayed request installs one (an SFTP subsystem); guarded by itself once set. */
    private volatile StreamFilter filter;

    private Link(ChannelEnd client, ChannelEnd target, RequestPolicy policy, ChannelObserver observer, LinkEvents events) {
        this.client = client;
        this.target = target;
        this.policy = policy;
        this.observer = observer;
        this.events = events;
    }

    /** Links the two ends; from now on each one's events go across to the other. */
    public static Link between(ChannelEnd client, ChannelEnd target, RequestPolicy policy, ChannelObserver observer,
                               LinkEvents events) {
        Link link = new Link(client, target, policy, observer, events);
        client.attach(link);
        target.attach(link);
        return link;
    }

    @Override
    public void data(ChannelEnd from, byte[] bytes, int length, boolean stderr) {
        StreamFilter installed = filter;
        if (installed != null && !stderr) {
            filtered(installed, from, bytes, length);
            return;
        }
        Direction direction = direction(from);
        observer.data(direction, stderr, bytes, 0, length);
        CompletionStage<Void> room = observer.room();
        events.relayed(direction, length);
        // acknowledged to the sender once delivered and once the recording has room for more
        Runnable release = () -> from.release(length);
        other(from).send(bytes, length, stderr, room == ChannelObserver.ROOM ? release : () -> room.thenRun(release));
    }

    @Override
    public void eof(ChannelEnd from) {
        observer.eof(direction(from));
        other(from).sendEof();
    }

    @Override
    public void request(ChannelEnd from, String type, byte[] payload, ReplySlot reply) {
        Direction direction = direction(from);
        RequestPolicy.Decision decision = from == client ? policy.fromClient(type, payload) : policy.fromTarget(type, payload);
        if (decision instanceof RequestPolicy.Relay relay) {
            observer.request(direction, relay.type(), relay.payload(), true);
            if (relay.filter() != null) {
                filter = relay.filter();
            }
            other(from).sendRequest(relay.type(), relay.payload(), reply == null ? null : reply::answer);
            return;
        }
        observer.request(direction, type, payload, false);
        if (decision instanceof RequestPolicy.Stop stop) {
            stop(type, stop, reply);
            return;
        }
        if (decision instanceof RequestPolicy.Refuse refuse) {
            events.refused(Refusal.request(type, refuse.reason(), refuse.requested()));
        }
        if (reply != null) {
            reply.answer(false); // refused or declined alike: the peer reads "failure"
        }
    }

    /**
     * Data through the channel's filter: whole packets go on, refusals go back, under the
     * filter's lock for both directions. The sender's window is released once what went on is
     * delivered (at once when the bytes only completed no packet yet, or were answered here).
     */
    private void filtered(StreamFilter installed, ChannelEnd from, byte[] bytes, int length) {
        Direction direction = direction(from);
        observer.data(direction, false, bytes, 0, length);
        events.relayed(direction, length);
        ChannelEnd to = other(from);
        java.util.List<byte[]> onward = new java.util.ArrayList<>();
        boolean[] broken = {false};
        StreamFilter.Output out = new StreamFilter.Output() {
            @Override
            public void onward(byte[] packet) {
                onward.add(packet);
            }

            @Override
            public void back(byte[] packet) {
                from.send(packet, packet.length, false, () -> { });
            }

            @Override
            public void fileOperation(String operation, String path, String newName, boolean refused) {
                observer.fileOperation(operation, path, newName, refused);
            }

            @Override
            public void refused(Refusal refusal) {
                events.refused(refusal);
            }

            @Override
            public void malformed(Refusal refusal) {
                events.refused(refusal);
                broken[0] = true;
            }
        };
        synchronized (installed) {
            if (from == client) {
                installed.fromClient(bytes, length, out);
            } else {
                installed.fromTarget(bytes, length, out);
            }
            Runnable release = () -> from.release(length);
            for (int i = 0; i < onward.size(); i++) {
                byte[] packet = onward.get(i);
                to.send(packet, packet.length, false, i == onward.size() - 1 ? release : () -> { });
            }
            if (onward.isEmpty()) {
                release.run();
            }
        }
        if (broken[0]) {
            close();
        }
    }

    /** Answers the request, tells the engineer why nothing ran, exits non-zero and closes both ends. */
    private void stop(String type, RequestPolicy.Stop stop, ReplySlot reply) {
        events.refused(Refusal.request(type, stop.reason(), stop.requested()));
        if (reply != null) {
            reply.answer(true); // "started": so that the client reads the message and the exit status
        }
        byte[] message = (stop.message() + "\n").getBytes(StandardCharsets.UTF_8);
        client.send(message, message.length, true, () -> { });
        ByteArrayBuffer status = new ByteArrayBuffer();
        status.putUInt(RequestPolicy.STOPPED_EXIT_STATUS);
        client.sendRequest("exit-status", status.getCompactData(), null);
        client.sendEof();
        close();
    }

    @Override
    public void closed(ChannelEnd from) {
        if (closed.compareAndSet(false, true)) {
            observer.closed();
            events.closed(this);
        }
        other(from).close();
    }

    /** The channel could not be opened on the other side: the observer hears of its end all the same. */
    public void openFailed() {
        if (closed.compareAndSet(false, true)) {
            observer.closed();
        }
    }

    /** Tells the engineer something on this channel's stderr (an expiry warning, why the session ends). */
    public void notice(String message) {
        byte[] bytes = ("\r\n" + message + "\r\n").getBytes(StandardCharsets.UTF_8);
        client.send(bytes, bytes.length, true, () -> { });
    }

    /** Ends the channel both ways. */
    public void close() {
        client.close();
        target.close();
    }

    private ChannelEnd other(ChannelEnd end) {
        return end == client ? target : client;
    }

    private Direction direction(ChannelEnd from) {
        return from == client ? Direction.TO_TARGET : Direction.TO_CLIENT;
    }
}
