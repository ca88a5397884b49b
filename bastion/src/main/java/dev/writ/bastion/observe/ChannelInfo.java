package dev.writ.bastion.observe;

import dev.writ.policy.RecordingMode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What is known about a relayed channel when it opens.
 *
 * @param sessionId     the bastion's session id (also in the session certificate's key id)
 * @param channelId     unique within the session
 * @param identity      the engineer (their certificate's key id)
 * @param serial        the engineer's certificate serial, unsigned decimal
 * @param login         the login on the target
 * @param target        the target's name
 * @param type          {@code session}, {@code direct-tcpip} or {@code auth-agent@openssh.com}
 * @param details       type-specific facts (for direct-tcpip: destination host and port)
 * @param clientAddress the engineer's address, as the bastion's socket sees it
 * @param roles         the certificate's roles ({@code roles@writ})
 * @param grantedRoles  those of the roles that only an access grant confers
 * @param recording     the strictest recording mode of the roles
 * @param recordInput   whether what the engineer types is recorded too
 */
public record ChannelInfo(String sessionId, long channelId, String identity, String serial, String login, String target,
                          String type, Instant openedAt, Map<String, String> details, String clientAddress,
                          List<String> roles, List<String> grantedRoles, RecordingMode recording, boolean recordInput) {

    public ChannelInfo {
        details = details == null ? Map.of() : new TreeMap<>(details);
        roles = roles == null ? List.of() : List.copyOf(roles);
        grantedRoles = grantedRoles == null ? List.of() : List.copyOf(grantedRoles);
    }
}
