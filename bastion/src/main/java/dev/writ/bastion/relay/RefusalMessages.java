package dev.writ.bastion.relay;

import java.io.IOException;
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
 * channel". MINA has no hook for that text, hence this one-level subclass.
 */
public final class RefusalMessages extends ServerConnectionService {

    /** Use in place of MINA's {@code ServerConnectionServiceFactory}. */
    public static final ServiceFactory FACTORY = new ServiceFactory() {
        @Override
        public String getName() {
            return "ssh-connection";
        }

        @Override
        public Service create(Session session) throws IOException {
            return new RefusalMessages((AbstractServerSession) session);
        }
    };

    private RefusalMessages(AbstractServerSession session) throws SshException {
        super(session);
    }

    @Override
    protected IoWriteFuture sendChannelOpenFailure(Buffer buffer, long sender, int reasonCode, String message, String lang)
            throws IOException {
        String ours = OpenRefusal.take(getSession(), sender);
        return super.sendChannelOpenFailure(buffer, sender, reasonCode, ours != null ? ours : message, lang);
    }
}
