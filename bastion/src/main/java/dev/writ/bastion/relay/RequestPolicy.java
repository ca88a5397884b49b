package dev.writ.bastion.relay;

/**
 * Decides each channel request crossing the bastion: relay it (perhaps rewritten), or refuse it.
 * Deny by default: a request type a policy does not name is refused.
 */
public interface RequestPolicy {

    Decision fromClient(String type, byte[] payload);

    Decision fromTarget(String type, byte[] payload);

    /** What happens to one request. */
    sealed interface Decision permits Relay, Refuse {
    }

    /** Relay as {@code type} with {@code payload} (the same as received, or rewritten). */
    record Relay(String type, byte[] payload) implements Decision {
    }

    /**
     * Refuse; {@code reason} (snake_case) is audited when {@code audited}, for refusals that
     * tell something about the engineer (a PTY without permit-pty), not routine ones (an env variable).
     */
    record Refuse(String reason, boolean audited) implements Decision {
    }

    /** For channels that carry only data (direct-tcpip, agent): every request is refused. */
    RequestPolicy DATA_ONLY = new RequestPolicy() {
        @Override
        public Decision fromClient(String type, byte[] payload) {
            return new Refuse("request_not_allowed", false);
        }

        @Override
        public Decision fromTarget(String type, byte[] payload) {
            return new Refuse("request_not_allowed", false);
        }
    };
}
