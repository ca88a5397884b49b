package dev.writ.bastion.relay;

/**
 * Something the bastion refused on an engineer's connection: what was asked, and why. Each one is
 * reported once, to one place (the session's), which writes a log line, counts it in
 * {@code writ_bastion_requests_refused_total{reason}} and sends a {@code bastion.channel.refused}
 * audit event to the CA. Requests merely answered "failure" as protocol courtesy (keepalives) are
 * not refusals and never become one.
 *
 * @param asked     a channel open, a request on a channel, or a request on the whole connection
 * @param type      the channel or request type as the peer sent it ({@code x11-req}, {@code tcpip-forward}, ...)
 * @param reason    snake_case; the same word in the audit event and as the metric's label
 * @param requested what the request named, untrusted, when it helps a reviewer (a forwarding
 *                  address, an environment variable's name); null otherwise
 */
public record Refusal(Asked asked, String type, String reason, String requested) {

    /** The three kinds of thing an SSH peer asks for. */
    public enum Asked {
        CHANNEL_OPEN("channel_open"),
        CHANNEL_REQUEST("channel_request"),
        GLOBAL_REQUEST("global_request"),
        /** An operation inside an SFTP subsystem channel. */
        SFTP_OPERATION("sftp_operation");

        private final String auditName;

        Asked(String auditName) {
            this.auditName = auditName;
        }

        /** As the audit event's {@code request_kind} spells it. */
        public String auditName() {
            return auditName;
        }
    }

    public static Refusal channel(String type, String reason, String requested) {
        return new Refusal(Asked.CHANNEL_OPEN, type, reason, requested);
    }

    public static Refusal request(String type, String reason, String requested) {
        return new Refusal(Asked.CHANNEL_REQUEST, type, reason, requested);
    }

    public static Refusal sftp(String reason, String requested) {
        return new Refusal(Asked.SFTP_OPERATION, "sftp", reason, requested);
    }

    public static Refusal global(String type, String reason, String requested) {
        return new Refusal(Asked.GLOBAL_REQUEST, type, reason, requested);
    }
}
