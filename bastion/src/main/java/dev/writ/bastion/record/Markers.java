package dev.writ.bastion.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.bastion.observe.EndReason;

/**
 * The data of writ's asciicast marker ({@code "m"}) events: one JSON object per event, with its
 * kind under {@code "event"}. Players show it as a marker label; tools parse it.
 *
 * <pre>
 * {"event":"exec","command":"tar czf - /etc"}         a command was run (exec request)
 * {"event":"subsystem","name":"sftp"}                  a subsystem was started
 * {"event":"shell"}                                    a shell was started
 * {"event":"forward","host":"db01","port":5432}        a port forward (direct-tcpip) was opened
 * {"event":"sftp","op":"remove","path":"/etc/nginx/nginx.conf"}     an operation on a file over sftp
 * {"event":"sftp","op":"rename","path":"/a","to":"/b","refused":true}   one the role's file rules refused
 * {"event":"input_withheld","bytes":9}              typed text never echoed (a password): not recorded
 * {"event":"agent"}                                    the target used the engineer's forwarded agent
 * {"event":"signal","name":"INT"}                      the engineer sent a signal
 * {"event":"exit","status":0}                          the command exited
 * {"event":"exit","signal":"KILL","core_dumped":false} the command was killed
 * {"event":"closed","bytes_to_target":12,"bytes_to_client":3456}   the channel closed: the last event of every
 *                                                      finished recording, at the time it closed
 * {"event":"ended","reason":"idle_timeout"}          the bastion ended the session (revocation, expiry, idle
 *                                                      timeout, a failed strict recording); just before closed
 * {"event":"ended","reason":"ended_by_admin","admin":"sam@example.com","admin_reason":"INC-9"}
 *                                                      an admin ended it at the CA: who, and what they wrote
 * {"event":"gap","bytes_lost":4096,"reason":"..."}     data that could not be recorded (best effort)
 * {"event":"truncated","reason":"..."}                 the bastion stopped before the channel closed
 * </pre>
 */
final class Markers {

    /** Commands longer than this are cut (a marker is one line of the file). */
    static final int MAX_COMMAND = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Markers() {
    }

    static String exec(String command) {
        return write(event("exec").put("command", cut(command, MAX_COMMAND)));
    }

    static String subsystem(String name) {
        return write(event("subsystem").put("name", cut(name, 256)));
    }

    static String shell() {
        return write(event("shell"));
    }

    static String forward(String host, String port) {
        ObjectNode node = event("forward").put("host", cut(host, 256));
        try {
            node.put("port", Integer.parseInt(port));
        } catch (NumberFormatException e) {
            node.put("port", cut(port, 16));
        }
        return write(node);
    }

    static String sftp(String operation, String path, String to, boolean refused) {
        ObjectNode node = event("sftp").put("op", cut(operation, 32)).put("path", cut(path, 4096));
        if (to != null) {
            node.put("to", cut(to, 4096));
        }
        if (refused) {
            node.put("refused", true);
        }
        return write(node);
    }

    static String inputWithheld(long bytes) {
        return write(event("input_withheld").put("bytes", bytes));
    }

    static String agent() {
        return write(event("agent"));
    }

    static String signal(String name) {
        return write(event("signal").put("name", cut(name, 64)));
    }

    static String exitStatus(long status) {
        return write(event("exit").put("status", status));
    }

    static String exitSignal(String signal, boolean coreDumped) {
        return write(event("exit").put("signal", cut(signal, 64)).put("core_dumped", coreDumped));
    }

    static String closed(long bytesToTarget, long bytesToClient) {
        return write(event("closed").put("bytes_to_target", bytesToTarget).put("bytes_to_client", bytesToClient));
    }

    static String ended(EndReason why) {
        ObjectNode node = event("ended").put("reason", cut(why.reason(), 64));
        if (why.admin() != null) {
            node.put("admin", cut(why.admin(), 256));
        }
        if (why.adminReason() != null) {
            node.put("admin_reason", cut(why.adminReason(), 1024));
        }
        return write(node);
    }

    static String gap(long bytesLost, String reason) {
        return write(event("gap").put("bytes_lost", bytesLost).put("reason", reason));
    }

    static String truncated(String reason) {
        return write(event("truncated").put("reason", reason));
    }

    static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...";
    }

    private static ObjectNode event(String kind) {
        return JSON.createObjectNode().put("event", kind);
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
