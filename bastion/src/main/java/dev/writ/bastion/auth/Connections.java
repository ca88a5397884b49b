package dev.writ.bastion.auth;

import dev.writ.bastion.route.Target;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.session.Session;

/** What the bastion attaches to a connection: its grant once authenticated, and the target of an intercepted ProxyJump. */
public final class Connections {

    private static final AttributeRepository.AttributeKey<Grant> GRANT = new AttributeRepository.AttributeKey<>();
    /** The {@link IoSession} attribute naming the target of an inner ProxyJump connection (set by its transport). */
    public static final Object JUMP_TARGET = Connections.class.getName() + ".jumpTarget";

    private Connections() {
    }

    /** The grant of the key that authenticated this session; null before. */
    public static Grant grant(Session session) {
        return session.getAttribute(GRANT);
    }

    static void setGrant(Session session, Grant grant) {
        session.setAttribute(GRANT, grant);
    }

    /** The target of an inner ProxyJump connection, else null. */
    public static Target jumpTarget(Session session) {
        IoSession io = session.getIoSession();
        return io != null && io.getAttribute(JUMP_TARGET) instanceof Target target ? target : null;
    }
}
