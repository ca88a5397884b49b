package dev.writ.bastion.relay;

import java.util.List;
import java.util.Set;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.global.KeepAliveHandler;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.global.NoMoreSessionsHandler;
import org.apache.sshd.server.global.OpenSshHostKeysHandler;

/**
 * The requests an engineer's client makes of the whole connection (SSH_MSG_GLOBAL_REQUEST). Three
 * are served, as MINA serves them: {@code keepalive@openssh.com} (ServerAliveInterval) is answered
 * (MINA answers success where sshd answers failure; OpenSSH's client takes either as a sign of
 * life), which is courtesy and not a refusal; {@code no-more-sessions@openssh.com} is honoured;
 * {@code hostkeys-prove-00@openssh.com} is answered. Every other one is refused and reported:
 * {@code tcpip-forward} ({@code ssh -R}) and its unix-socket and cancel forms, and any type the
 * bastion does not know. In place of MINA's default handlers, whose {@code tcpip-forward} refusal
 * (through the forwarding filter) left no trace.
 */
public final class GlobalRequests implements RequestHandler<ConnectionService> {

    /** Remote forwarding: a port (or unix socket) opened on the far side and forwarded back. */
    private static final Set<String> TCPIP = Set.of("tcpip-forward", "cancel-tcpip-forward");
    private static final Set<String> STREAMLOCAL = Set.of("streamlocal-forward@openssh.com",
            "cancel-streamlocal-forward@openssh.com");

    private final Refusals refusals;

    private GlobalRequests(Refusals refusals) {
        this.refusals = refusals;
    }

    /** The server's global request handlers, in order: MINA's three that serve, then this one for everything else. */
    public static List<RequestHandler<ConnectionService>> handlers(Refusals refusals) {
        return List.of(KeepAliveHandler.INSTANCE, NoMoreSessionsHandler.INSTANCE, OpenSshHostKeysHandler.INSTANCE,
                new GlobalRequests(refusals));
    }

    @Override
    public Result process(ConnectionService connection, String type, boolean wantReply, Buffer buffer) {
        boolean forwarding = TCPIP.contains(type) || STREAMLOCAL.contains(type);
        refusals.refused(connection.getSession(), Refusal.global(type,
                forwarding ? "remote_forwarding_not_permitted" : "global_request_not_allowed", requested(type, buffer)));
        return Result.ReplyFailure;
    }

    /** The address ({@code host:port}) or socket path a forwarding request names; null for others, or when unreadable. */
    static String requested(String type, Buffer buffer) {
        try {
            if (TCPIP.contains(type)) {
                String address = buffer.getString();
                return address + ":" + buffer.getUInt();
            }
            return STREAMLOCAL.contains(type) ? buffer.getString() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
