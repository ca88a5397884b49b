package dev.writ.bastion.auth;

import dev.writ.bastion.route.Target;
import dev.writ.policy.ChannelRules;
import dev.writ.policy.RecordingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/**
 * What an accepted certificate allows on one connection, decided once at login by
 * {@link CertificateCheck}; everything later (channels, requests, expiry) is enforced from it.
 *
 * @param kind        how the engineer came in
 * @param identity    the certificate's key id (the engineer)
 * @param certificate the certificate, as presented
 * @param login       the login on the target; null on the outer connection of a ProxyJump
 * @param target      the target; null on the outer connection of a ProxyJump
 * @param roles       on a connection to a target, the one role that decides it (its login and its target);
 *                    on the outer connection of a ProxyJump, every role of {@code roles@writ}
 * @param forceCommand the certificate's {@code force-command}, or null
 * @param idleTimeout the deciding role's idle timeout, or null for none
 * @param recording   the deciding role's recording mode
 * @param recordInput whether the deciding role records what the engineer types
 * @param grantedRoles the roles that only an access grant confers (requestable, held by no standing match)
 * @param permitted   the extensions the connection may use: those of the deciding role that the certificate
 *                    carries (every extension of the certificate on the outer connection of a ProxyJump)
 * @param channels    the deciding role's commands, files, forwards and recording requirement
 *                    ({@link ChannelRules#NONE} on the outer connection of a ProxyJump)
 */
public record Grant(Kind kind, String identity, OpenSshCertificate certificate, String login, Target target,
                    List<String> roles, String forceCommand, Duration idleTimeout, Instant validBefore,
                    RecordingMode recording, boolean recordInput, List<String> grantedRoles, Set<String> permitted,
                    ChannelRules channels) {

    /** How a connection reached the bastion. */
    public enum Kind {
        /** {@code ssh -p PORT login@target@bastion}: the bastion logs in to the target. */
        DIRECT,
        /** The outer connection of {@code ssh -J bastion login@target}: it only carries the inner one. */
        JUMP,
        /** The inner connection of {@code ssh -J}, terminated by the bastion under the target's name. */
        JUMP_INNER
    }

    public Grant {
        roles = List.copyOf(roles);
        grantedRoles = List.copyOf(grantedRoles);
        permitted = Set.copyOf(permitted);
        channels = channels == null ? ChannelRules.NONE : channels;
    }

    /** A grant whose role restricts nothing inside the session. */
    public Grant(Kind kind, String identity, OpenSshCertificate certificate, String login, Target target,
                 List<String> roles, String forceCommand, Duration idleTimeout, Instant validBefore,
                 RecordingMode recording, boolean recordInput, List<String> grantedRoles, Set<String> permitted) {
        this(kind, identity, certificate, login, target, roles, forceCommand, idleTimeout, validBefore, recording,
                recordInput, grantedRoles, permitted, ChannelRules.NONE);
    }

    /** Whether the connection may use this extension ({@code permit-pty}, {@code permit-port-forwarding}, ...). */
    public boolean permits(String extension) {
        return permitted.contains(extension);
    }

    /** Whether the bastion logs in to a target on this connection. */
    public boolean reachesTarget() {
        return kind != Kind.JUMP;
    }

    public long serial() {
        return certificate.getSerial();
    }

    public String serialText() {
        return Long.toUnsignedString(certificate.getSerial());
    }

    /** The certificate as one OpenSSH line, as the CA wants it back. */
    public String certificateLine() {
        return PublicKeyEntry.toString(certificate);
    }
}
