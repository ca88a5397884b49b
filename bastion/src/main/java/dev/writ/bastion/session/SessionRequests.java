package dev.writ.bastion.session;

import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.relay.RequestPolicy;
import java.util.Set;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * What may be asked on a {@code session} channel, per the engineer's certificate: a PTY only
 * with {@code permit-pty}, agent forwarding only with {@code permit-agent-forwarding}, never X11;
 * environment variables only from the allowlist; with {@code force-command}, whatever is asked
 * (shell, exec, subsystem) runs that command instead, as sshd would. Deny by default; every
 * refusal is reported (see {@link dev.writ.bastion.relay.Refusal}), courtesy requests are only declined.
 */
final class SessionRequests implements RequestPolicy {

    /** Passed to the target as they come (after the checks above). */
    private static final Set<String> RELAYED_FROM_CLIENT = Set.of("window-change", "signal", "break", "eow@openssh.com");
    /** What a target sends on a session channel. */
    private static final Set<String> RELAYED_FROM_TARGET = Set.of("exit-status", "exit-signal", "xon-xoff",
            "eow@openssh.com", "keepalive@openssh.com");

    private final Grant grant;
    private final Runnable agentForwardingRequested;

    SessionRequests(Grant grant, Runnable agentForwardingRequested) {
        this.grant = grant;
        this.agentForwardingRequested = agentForwardingRequested;
    }

    @Override
    public Decision fromClient(String type, byte[] payload) {
        switch (type) {
            case "pty-req":
                return grant.permits("permit-pty") ? relay(type, payload) : new Refuse("pty_not_permitted");
            case "env":
                return allowedVariable(payload) ? relay(type, payload) : new Refuse("env_not_allowed", variableName(payload));
            case "shell":
            case "exec":
            case "subsystem":
                if (grant.forceCommand() != null) {
                    return relay("exec", string(grant.forceCommand()));
                }
                Decision stop = ChannelPolicy.check(grant, type, payload);
                return stop != null ? stop : relay(type, payload);
            case "auth-agent-req@openssh.com":
                if (!grant.permits("permit-agent-forwarding")) {
                    return new Refuse("agent_forwarding_not_permitted");
                }
                agentForwardingRequested.run();
                return relay(type, payload);
            case "x11-req":
                return new Refuse("x11_forwarding_not_permitted");
            default:
                if (COURTESY.contains(type)) {
                    return new Decline(); // answered with failure, as sshd does
                }
                return RELAYED_FROM_CLIENT.contains(type) ? relay(type, payload) : new Refuse("request_not_allowed");
        }
    }

    @Override
    public Decision fromTarget(String type, byte[] payload) {
        if (RELAYED_FROM_TARGET.contains(type)) {
            return relay(type, payload);
        }
        return COURTESY.contains(type) ? new Decline() : new Refuse("target_request_not_allowed");
    }

    /** {@code LANG}, {@code LC_*} and {@code TERM}; nothing that changes how a program runs (LD_PRELOAD, PATH, ...). */
    static boolean allowedVariable(byte[] payload) {
        try {
            String name = new ByteArrayBuffer(payload).getString();
            return name.equals("LANG") || name.equals("TERM") || (name.startsWith("LC_") && name.matches("LC_[A-Z_]{1,32}"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The name of the variable an {@code env} request sets, for the audit log; null when unreadable. */
    private static String variableName(byte[] payload) {
        try {
            return new ByteArrayBuffer(payload).getString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Relay relay(String type, byte[] payload) {
        return new Relay(type, payload);
    }

    private static byte[] string(String text) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putString(text);
        return buffer.getCompactData();
    }
}
