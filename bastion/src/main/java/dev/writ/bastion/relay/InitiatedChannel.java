package dev.writ.bastion.relay;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.client.channel.AbstractClientChannel;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.LocalWindow;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.EventNotifier;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * A channel the bastion opens: {@code session} and {@code direct-tcpip} to a target on the
 * engineer's behalf, {@code auth-agent@openssh.com} back to the engineer. Everything it receives
 * goes to its {@link ChannelEnd}, raw, exit-status and exit-signal included.
 *
 * <p>Extends MINA's {@code AbstractClientChannel}: no other hook sends an arbitrary open payload
 * or hands over request replies and raw data.
 */
public final class InitiatedChannel extends AbstractClientChannel implements RelayedChannel {

    private final byte[] openPayload;
    private final ChannelEnd end;

    public InitiatedChannel(String type, byte[] openPayload) {
        super(type);
        this.openPayload = openPayload.clone();
        this.end = new ChannelEnd(this);
        addChannelListener(CLOSE_LISTENER);
    }

    /** Registers the channel on {@code session} and opens it; completes when the peer confirms. */
    public static CompletableFuture<InitiatedChannel> open(Session session, InitiatedChannel channel) {
        CompletableFuture<InitiatedChannel> result = new CompletableFuture<>();
        try {
            ConnectionService service = session.getService(ConnectionService.class);
            service.registerChannel(channel);
            channel.open().addListener(f -> {
                if (f.isOpened()) {
                    result.complete(channel);
                } else {
                    result.completeExceptionally(f.getException());
                }
            });
        } catch (IOException | RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public ChannelEnd end() {
        return end;
    }

    /** Exit status and signal are relayed raw like every other request, not kept by MINA. */
    @Override
    protected void addChannelSignalRequestHandlers(EventNotifier<String> notifier) {
        addRequestHandler(RELAY_REQUESTS);
    }

    @Override
    public synchronized OpenFuture open() throws IOException {
        if (isClosing()) {
            throw new IOException("the session is closing");
        }
        openFuture = new DefaultOpenFuture(toString(), futureLock);
        Session session = getSession();
        LocalWindow window = getLocalWindow();
        Buffer buffer = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_OPEN, getChannelType().length() + openPayload.length + 32);
        buffer.putString(getChannelType());
        buffer.putUInt(getChannelId());
        buffer.putUInt(window.getSize());
        buffer.putUInt(window.getPacketSize());
        buffer.putRawBytes(openPayload);
        writePacket(buffer);
        return openFuture;
    }

    @Override
    protected void doOpen() {
        // no streams: data goes to the channel end as it arrives
    }

    @Override
    protected void doWriteData(byte[] data, int off, long len) {
        end.received(data, off, len, false);
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) {
        end.received(data, off, len, true);
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        end.eofReceived();
    }

    @Override
    public void handleWindowAdjust(Buffer buffer) throws IOException {
        super.handleWindowAdjust(buffer);
        end.windowExpanded();
    }

    @Override
    public void handleSuccess() {
        end.answerReceived(true);
    }

    @Override
    public void handleFailure() {
        end.answerReceived(false);
    }
}
