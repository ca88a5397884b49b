package dev.writ.bastion.relay;

import java.io.IOException;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.Service;
import org.apache.sshd.common.ServiceFactory;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.session.AbstractServerSession;
import org.apache.sshd.server.session.ServerConnectionService;

/**
 * MINA's connection service, except that a refused channel open carries the bastion's message
 * ("writ: web01 is not allowed for you") instead of MINA's generic "Generic error while opening
 * channel", and that the opens MINA refuses before any of the bastion's code sees them (a channel
 * type without a factory: {@code x11}, {@code forwarded-tcpip}, ...; any channel after the client's
 * own {@code no-more-sessions@openssh.com}) are reported as refusals. MINA has no hook for either,
 * hence this one-level subclass.
 */
public final class RefusalMessages extends ServerConnectionService {

    private final Refusals refusals;

    /** Use in place of MINA's {@code ServerConnectionServiceFactory}; refusals go to {@code refusals}. */
    public static ServiceFactory factory(Refusals refusals) {
        return new ServiceFactory() {
            @Override
            public String getName() {
                return "ssh-connection";
            }

            @Override
            public Service create(Session session) throws IOException {
                return new RefusalMessages((AbstractServerSession) session, refusals);
            }
        };
    }

    private RefusalMessages(AbstractServerSession session, Refusals refusals) throws SshException {
        super(session);
        this.refusals = refusals;
    }

    /** Reports what MINA is about to refuse (the same tests as its own, in the same order), then lets it. */
    @Override
    protected void channelOpen(Buffer buffer) throws Exception {
        int start = buffer.rpos();
        String type = buffer.getString();
        buffer.rpos(start);
        if (!isClosing()) {
            if (!isAllowMoreSessions()) {
                refusals.refused(getSession(), Refusal.channel(type, "no_more_sessions", null));
            } else if (NamedResource.findByName(type, String.CASE_INSENSITIVE_ORDER,
                    getSession().getFactoryManager().getChannelFactories()) == null) {
                refusals.refused(getSession(), Refusal.channel(type, "channel_type_not_allowed", null));
            }
        }
        super.channelOpen(buffer);
    }

    @Override
    protected IoWriteFuture sendChannelOpenFailure(Buffer buffer, long sender, int reasonCode, String message, String lang)
            throws IOException {
        String ours = OpenRefusal.take(getSession(), sender);
        return super.sendChannelOpenFailure(buffer, sender, reasonCode, ours != null ? ours : message, lang);
    }
}
