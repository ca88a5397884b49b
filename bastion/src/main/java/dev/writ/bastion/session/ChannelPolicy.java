package dev.writ.bastion.session;

import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.relay.RequestPolicy.Decision;
import dev.writ.bastion.relay.RequestPolicy.Relay;
import dev.writ.bastion.relay.RequestPolicy.Stop;
import dev.writ.bastion.sftp.SftpFilter;
import dev.writ.policy.ChannelRules;
import dev.writ.policy.RecordingMode;
import dev.writ.policy.Verdict;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * What the deciding role's {@code commands}, {@code files} and {@code require_recording} say of
 * a {@code shell}, {@code exec} or {@code subsystem} request: a refused one is stopped with a
 * {@code writ: ...} line on the engineer's stderr and a non-zero exit; an {@code sftp} subsystem
 * is relayed through an {@link SftpFilter}, which checks and marks each file operation.
 */
final class ChannelPolicy {

    private ChannelPolicy() {
    }

    /** The decision for the request, or null to relay it as it is. */
    static Decision check(Grant grant, String type, byte[] payload) {
        ChannelRules rules = grant.channels();
        String role = String.join(",", grant.roles());
        switch (type) {
            case "exec" -> {
                String command = string(payload);
                if (command == null) {
                    return new Stop("malformed_request", null, "writ: malformed exec request");
                }
                if (rules.commands() != null) {
                    Verdict verdict = rules.commands().check(command);
                    if (!verdict.allowed()) {
                        return new Stop("command_not_allowed", command, "writ: role " + role + " does not allow the command '"
                                + printable(command) + "' (" + verdict.reason() + ")");
                    }
                }
                return null;
            }
            case "shell" -> {
                if (rules.commands() != null && !rules.commands().shell()) {
                    return new Stop("shell_not_allowed", null, "writ: role " + role + " allows commands only, no shell");
                }
                return null;
            }
            default -> {
                String name = string(payload);
                if ("sftp".equals(name)) {
                    boolean recorded = grant.recording() != RecordingMode.OFF;
                    return rules.files() != null || recorded ? new Relay(type, payload, new SftpFilter(rules.files())) : null;
                }
                if (rules.requireRecording()) {
                    return new Stop("subsystem_not_recordable", name, "writ: role " + role + " requires recording, and the"
                            + " bastion cannot record the subsystem '" + printable(String.valueOf(name)) + "'");
                }
                if (rules.files() != null) {
                    // another file transfer protocol would bypass the file rules
                    return new Stop("subsystem_not_allowed", name, "writ: role " + role + " restricts files, and allows no"
                            + " subsystem but sftp");
                }
                return null;
            }
        }
    }

    private static String string(byte[] payload) {
        try {
            return new ByteArrayBuffer(payload).getString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 200 ? cleaned.substring(0, 200) + "..." : cleaned;
    }
}
