package dev.writ.bastion.relay;

import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.Session;

/**
 * Why a channel open is refused: an SSH reason code and a short message for the client (the
 * detail goes to the audit log, not here). MINA would replace the message by a generic one;
 * {@link RefusalMessages} puts ours back.
 */
public final class OpenRefusal extends RuntimeException {

    private static final AttributeRepository.AttributeKey<Map<Long, String>> MESSAGES = new AttributeRepository.AttributeKey<>();

    private final int code;

    private OpenRefusal(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public static OpenRefusal prohibited(String message) {
        return new OpenRefusal(SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, message);
    }

    public static OpenRefusal connectFailed(String message) {
        return new OpenRefusal(SshConstants.SSH_OPEN_CONNECT_FAILED, message);
    }

    public int code() {
        return code;
    }

    /** The refusal behind a failed open, whatever wrapped it. */
    static OpenRefusal of(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof OpenRefusal refusal) {
            return refusal;
        }
        if (cause instanceof SshChannelOpenException open) {
            return new OpenRefusal(open.getReasonCode(), "writ: the target refused: " + open.getMessage());
        }
        return connectFailed("writ: the target could not be reached");
    }

    /** Keeps the message for the client's channel id until the refusal is sent. */
    static void remember(Session session, long clientChannelId, String message) {
        session.computeAttributeIfAbsent(MESSAGES, key -> new ConcurrentHashMap<>()).put(clientChannelId, message);
    }

    /** The message kept for that channel id, if any (and forgets it). */
    static String take(Session session, long clientChannelId) {
        Map<Long, String> messages = session.getAttribute(MESSAGES);
        return messages == null ? null : messages.remove(clientChannelId);
    }
}
