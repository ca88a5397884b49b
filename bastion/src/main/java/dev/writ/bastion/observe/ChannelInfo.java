package dev.writ.bastion.observe;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What is known about a relayed channel when it opens.
 *
 * @param sessionId the bastion's session id (also in the session certificate's key id)
 * @param channelId unique within the session
 * @param identity  the engineer (their certificate's key id)
 * @param serial    the engineer's certificate serial, unsigned decimal
 * @param login     the login on the target
 * @param target    the target's name
 * @param type      {@code session}, {@code direct-tcpip} or {@code auth-agent@openssh.com}
 * @param details   type-specific facts (for direct-tcpip: destination host and port)
 */
public record ChannelInfo(String sessionId, long channelId, String identity, String serial, String login, String target,
                          String type, Instant openedAt, Map<String, String> details) {

    public ChannelInfo {
        details = details == null ? Map.of() : new TreeMap<>(details);
    }
}
