package dev.writ.bastion.relay;

import java.util.Set;

/**
 * Decides each channel request crossing the bastion: relay it (perhaps rewritten), refuse it, or
 * decline it as protocol courtesy. Deny by default: a request type a policy does not name is refused.
 */
public interface RequestPolicy {

    /**
     * Requests that ask nothing of policy and expect "failure" as their answer, as sshd gives it:
     * OpenSSH's keepalive (ServerAliveInterval, ClientAliveInterval) and PuTTY's window probe and
     * its "simple" notice.
     */
    Set<String> COURTESY = Set.of("keepalive@openssh.com", "winadj@putty.projects.tartarus.org",
            "simple@putty.projects.tartarus.org");

    Decision fromClient(String type, byte[] payload);

    Decision fromTarget(String type, byte[] payload);

    /** What happens to one request. */
    sealed interface Decision permits Relay, Refuse, Decline, Stop {
    }

    /**
     * Relay as {@code type} with {@code payload} (the same as received, or rewritten); when
     * {@code filter} is not null, the channel's data passes through it from now on (SFTP).
     */
    record Relay(String type, byte[] payload, StreamFilter filter) implements Decision {
        public Relay(String type, byte[] payload) {
            this(type, payload, null);
        }
    }

    /**
     * Refuse: answered "failure", and reported as a {@link Refusal} (audited, counted, logged).
     *
     * @param reason    snake_case, such as {@code pty_not_permitted}
     * @param requested what the request named, when a reviewer needs it (an environment variable's name); or null
     */
    record Refuse(String reason, String requested) implements Decision {
        public Refuse(String reason) {
            this(reason, null);
        }
    }

    /**
     * Refuse a shell, command or subsystem so that the engineer reads why: the request is answered
     * "success", nothing runs on the target, {@code message} goes to the engineer's stderr, the
     * channel exits with {@link #STOPPED_EXIT_STATUS} and closes. Reported as a {@link Refusal}.
     */
    record Stop(String reason, String requested, String message) implements Decision {
    }

    /** The exit status of a channel the bastion stopped: 126, as a shell says "found, but may not run". */
    int STOPPED_EXIT_STATUS = 126;

    /** Answered "failure" as protocol courtesy ({@link #COURTESY}): not a refusal, neither audited nor counted. */
    record Decline() implements Decision {
    }

    /**
     * For channels that carry only data (direct-tcpip, agent): every request is refused, the
     * target's ones too (sshd sends none but keepalives), except courtesy.
     */
    RequestPolicy DATA_ONLY = new RequestPolicy() {
        @Override
        public Decision fromClient(String type, byte[] payload) {
            return COURTESY.contains(type) ? new Decline() : new Refuse("request_not_allowed");
        }

        @Override
        public Decision fromTarget(String type, byte[] payload) {
            return COURTESY.contains(type) ? new Decline() : new Refuse("target_request_not_allowed");
        }
    };
}
