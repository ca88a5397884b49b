package dev.writ.bastion.relay;

import dev.writ.bastion.auth.Connections;
import dev.writ.bastion.route.Target;
import java.io.EOFException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.sshd.common.channel.IoWriteFutureImpl;
import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.future.DefaultCloseFuture;
import org.apache.sshd.common.future.SshFutureListener;
import org.apache.sshd.common.io.AbstractIoWriteFuture;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoService;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport of an intercepted ProxyJump connection: the bytes of the engineer's
 * {@code direct-tcpip} channel to a target, fed to a second SSH server session of the bastion's
 * own, which presents the target's name (with a host certificate from the CA) and logs the
 * engineer in again there. MINA runs that session over this {@link IoSession} exactly as over a
 * socket; no port is opened and nothing leaves the process.
 *
 * <p>Flow control: bytes are handed to the session synchronously, and the outer channel's window
 * is released only after; the session's own writes are bounded by its channels' windows.
 */
public final class JumpTransport implements IoSession, ChannelSink {

    private static final Logger LOG = LoggerFactory.getLogger(JumpTransport.class);
    /** Far above the ids of MINA's own sockets, which count up from 1. */
    private static final AtomicLong IDS = new AtomicLong(1L << 48);

    private final long id = IDS.incrementAndGet();
    private final ChannelEnd outer;
    private final IoHandler sessions;
    private final IoService service;
    private final SocketAddress client;
    private final SocketAddress local;
    private final Consumer<Refusal> refusals;
    private final Map<Object, Object> attributes = new ConcurrentHashMap<>();
    private final DefaultCloseFuture closeFuture = new DefaultCloseFuture(this, this);
    private final AtomicBoolean closing = new AtomicBoolean();
    private final List<byte[]> early = new ArrayList<>();
    private boolean started;

    /**
     * @param outer    the engineer's direct-tcpip channel to the target
     * @param sessions the SSH server's session factory
     * @param service  what MINA sees as the transport's service (see {@link #service(java.util.function.Supplier)})
     * @param client   the engineer's address: {@code source-address} is checked against it
     * @param refusals where requests on the outer channel, all refused, are reported
     */
    public JumpTransport(ChannelEnd outer, Target target, IoHandler sessions, IoService service, SocketAddress client,
                         SocketAddress local, Consumer<Refusal> refusals) {
        this.outer = outer;
        this.refusals = refusals;
        this.sessions = sessions;
        this.service = service;
        this.client = client;
        this.local = local;
        attributes.put(Connections.JUMP_TARGET, target);
    }

    // --- the outer channel ---

    /** Starts the inner SSH session once the channel is confirmed (it speaks first: its version line). */
    @Override
    public void opened(ChannelEnd end) {
        List<byte[]> waiting;
        synchronized (this) {
            try {
                sessions.sessionCreated(this);
            } catch (Exception e) {
                LOG.warn("cannot start the inner session of a ProxyJump connection: {}", e.toString());
                close(true);
                return;
            }
            started = true;
            waiting = new ArrayList<>(early);
            early.clear();
            for (byte[] bytes : waiting) {
                deliver(bytes, bytes.length);
            }
        }
    }

    @Override
    public void data(ChannelEnd from, byte[] bytes, int length, boolean stderr) {
        synchronized (this) {
            if (!started) {
                early.add(java.util.Arrays.copyOf(bytes, length)); // the client answered before we started: keep it
                return;
            }
            deliver(bytes, length);
        }
    }

    private void deliver(byte[] bytes, int length) {
        try {
            sessions.messageReceived(this, new ByteArrayBuffer(bytes, 0, length));
        } catch (Throwable e) {
            try {
                sessions.exceptionCaught(this, e);
            } catch (Exception ignored) {
                close(true);
            }
        } finally {
            outer.release(length);
        }
    }

    @Override
    public void eof(ChannelEnd from) {
        close(false);
    }

    @Override
    public void request(ChannelEnd from, String type, byte[] payload, ReplySlot reply) {
        // a direct-tcpip channel carries bytes only
        RequestPolicy.Decision decision = RequestPolicy.DATA_ONLY.fromClient(type, payload);
        if (decision instanceof RequestPolicy.Refuse refuse) {
            refusals.accept(Refusal.request(type, refuse.reason(), refuse.requested()));
        }
        if (reply != null) {
            reply.answer(false);
        }
    }

    @Override
    public void closed(ChannelEnd from) {
        close(true);
    }

    // --- the inner session's transport ---

    @Override
    public IoWriteFuture writeBuffer(Buffer buffer) {
        if (closing.get()) {
            return AbstractIoWriteFuture.fulfilled(this, new EOFException("ProxyJump channel closed"));
        }
        int length = buffer.available();
        byte[] bytes = new byte[length];
        buffer.getRawBytes(bytes);
        IoWriteFutureImpl written = new IoWriteFutureImpl(this, buffer);
        outer.send(bytes, length, false, () -> written.setValue(Boolean.TRUE));
        return written;
    }

    @Override
    public CloseFuture close(boolean immediately) {
        if (closing.compareAndSet(false, true)) {
            outer.close();
            try {
                sessions.sessionClosed(this);
            } catch (Exception e) {
                LOG.debug("closing the inner session: {}", e.toString());
            }
            closeFuture.setClosed();
        }
        return closeFuture;
    }

    @Override
    public void shutdownOutputStream() {
        outer.sendEof();
    }

    @Override
    public void suspendRead() {
        // reads are synchronous: the outer channel's window is the brake
    }

    @Override
    public void resumeRead() {
    }

    @Override
    public long getId() {
        return id;
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return client;
    }

    @Override
    public SocketAddress getLocalAddress() {
        return local;
    }

    @Override
    public SocketAddress getAcceptanceAddress() {
        return local;
    }

    @Override
    public IoService getService() {
        return service;
    }

    @Override
    public Object getAttribute(Object key) {
        return attributes.get(key);
    }

    @Override
    public Object setAttribute(Object key, Object value) {
        return value == null ? attributes.remove(key) : attributes.put(key, value);
    }

    @Override
    public Object setAttributeIfAbsent(Object key, Object value) {
        return attributes.putIfAbsent(key, value);
    }

    @Override
    public Object removeAttribute(Object key) {
        return attributes.remove(key);
    }

    @Override
    public void addCloseFutureListener(SshFutureListener<CloseFuture> listener) {
        closeFuture.addListener(listener);
    }

    @Override
    public void removeCloseFutureListener(SshFutureListener<CloseFuture> listener) {
        closeFuture.removeListener(listener);
    }

    @Override
    public boolean isClosed() {
        return closeFuture.isClosed();
    }

    @Override
    public boolean isClosing() {
        return closing.get();
    }

    @Override
    public String toString() {
        return "JumpTransport[" + id + " from " + client + "]";
    }

    /**
     * An {@link IoService} over the live jump transports, for MINA's per-user session count (which
     * the bastion does not use: its own limit counts sessions per identity).
     */
    public static IoService service(java.util.function.Supplier<Map<Long, IoSession>> sessions) {
        DefaultCloseFuture never = new DefaultCloseFuture("jump-transports", null);
        return new IoService() {
            private volatile org.apache.sshd.common.io.IoServiceEventListener listener;

            @Override
            public Map<Long, IoSession> getManagedSessions() {
                return sessions.get();
            }

            @Override
            public org.apache.sshd.common.io.IoServiceEventListener getIoServiceEventListener() {
                return listener;
            }

            @Override
            public void setIoServiceEventListener(org.apache.sshd.common.io.IoServiceEventListener listener) {
                this.listener = listener;
            }

            @Override
            public CloseFuture close(boolean immediately) {
                never.setClosed();
                return never;
            }

            @Override
            public void addCloseFutureListener(SshFutureListener<CloseFuture> listener) {
                never.addListener(listener);
            }

            @Override
            public void removeCloseFutureListener(SshFutureListener<CloseFuture> listener) {
                never.removeListener(listener);
            }

            @Override
            public boolean isClosed() {
                return never.isClosed();
            }

            @Override
            public boolean isClosing() {
                return never.isClosed();
            }
        };
    }
}
