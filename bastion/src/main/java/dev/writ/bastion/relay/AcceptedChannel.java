package dev.writ.bastion.relay;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.AbstractServerChannel;

/**
 * A channel the peer opened to the bastion: {@code session} and {@code direct-tcpip} from the
 * engineer, {@code auth-agent@openssh.com} from a target. It is confirmed only once the
 * {@link Opener} has authorized it and opened what it relays to, so a refusal or an unreachable
 * target reaches the client as a failed open, with the bastion's message.
 *
 * <p>Extends MINA's {@code AbstractServerChannel}: the open request's payload (where a
 * direct-tcpip goes) and a deferred confirmation have no other hook.
 */
public final class AcceptedChannel extends AbstractServerChannel implements RelayedChannel {

    /** Authorizes a channel and opens its other side; fails with an {@link OpenRefusal}. */
    @FunctionalInterface
    public interface Opener {
        /** {@code request} holds the type-specific part of the open request; read it before returning. */
        CompletableFuture<ChannelSink> open(AcceptedChannel channel, Buffer request);
    }

    private final String type;
    private final Opener opener;
    private final ChannelEnd end;

    public AcceptedChannel(String type, Opener opener) {
        super("", List.of(RELAY_REQUESTS), null);
        this.type = type;
        this.opener = opener;
        this.end = new ChannelEnd(this);
        addChannelListener(CLOSE_LISTENER);
    }

    @Override
    public ChannelEnd end() {
        return end;
    }

    /** The channel type the peer asked for. */
    public String type() {
        return type;
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        DefaultOpenFuture opened = new DefaultOpenFuture(this, futureLock);
        CompletableFuture<ChannelSink> opening;
        try {
            opening = opener.open(this, buffer);
        } catch (RuntimeException e) {
            opening = CompletableFuture.failedFuture(e);
        }
        opening.whenComplete((sink, error) -> {
            if (error == null) {
                end.attach(sink);
                signalChannelOpenSuccess(); // sends the confirmation
                opened.setOpened();
                sink.opened(end);
            } else {
                OpenRefusal refusal = OpenRefusal.of(error);
                OpenRefusal.remember(getSession(), getRecipient(), refusal.getMessage());
                signalChannelOpenFailure(refusal);
                opened.setException(new SshChannelOpenException(getChannelId(), refusal.code(), refusal.getMessage()));
            }
        });
        return opened;
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
