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
    sealed interface Decision permits Relay, Refuse, Decline {
    }

    /** Relay as {@code type} with {@code payload} (the same as received, or rewritten). */
    record Relay(String type, byte[] payload) implements Decision {
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
