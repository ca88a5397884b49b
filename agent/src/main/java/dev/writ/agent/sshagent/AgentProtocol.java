package dev.writ.agent.sshagent;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;

/**
 * The ssh-agent protocol (draft-miller-ssh-agent): message numbers, and the framing shared by
 * writ's agent and its client: {@code uint32 length} then that many bytes, the first being the type.
 */
public final class AgentProtocol {

    public static final byte SSH_AGENT_FAILURE = 5;
    public static final byte SSH_AGENT_SUCCESS = 6;
    public static final byte SSH_AGENTC_REQUEST_IDENTITIES = 11;
    public static final byte SSH_AGENT_IDENTITIES_ANSWER = 12;
    public static final byte SSH_AGENTC_SIGN_REQUEST = 13;
    public static final byte SSH_AGENT_SIGN_RESPONSE = 14;
    public static final byte SSH_AGENTC_ADD_IDENTITY = 17;
    public static final byte SSH_AGENTC_REMOVE_IDENTITY = 18;
    public static final byte SSH_AGENTC_REMOVE_ALL_IDENTITIES = 19;
    public static final byte SSH_AGENTC_LOCK = 22;
    public static final byte SSH_AGENTC_UNLOCK = 23;
    public static final byte SSH2_AGENTC_ADD_ID_CONSTRAINED = 25;
    public static final byte SSH_AGENTC_EXTENSION = 27;
    public static final byte SSH_AGENT_CONSTRAIN_LIFETIME = 1;

    /** writ's own extension: the agent's certificate and problem, without triggering a fetch. */
    public static final String STATUS_EXTENSION = "status@writ";

    /** OpenSSH's ssh-agent refuses messages over 256 KiB; so do we. */
    public static final int MAX_MESSAGE = 256 * 1024;

    private AgentProtocol() {
    }

    /** The next message, or null when the peer closed the connection between messages. */
    public static byte[] read(ByteChannel channel) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(4);
        if (!fill(channel, length, true)) {
            return null;
        }
        int size = length.flip().getInt();
        if (size <= 0 || size > MAX_MESSAGE) {
            throw new IOException("agent message of " + Integer.toUnsignedString(size) + " bytes");
        }
        ByteBuffer body = ByteBuffer.allocate(size);
        fill(channel, body, false);
        return body.array();
    }

    public static void write(ByteChannel channel, byte[] message) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(4 + message.length).putInt(message.length).put(message).flip();
        while (frame.hasRemaining()) {
            channel.write(frame);
        }
    }

    private static boolean fill(ByteChannel channel, ByteBuffer buffer, boolean eofAllowedAtStart) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                if (eofAllowedAtStart && buffer.position() == 0) {
                    return false;
                }
                throw new EOFException("agent connection closed inside a message");
            }
        }
        return true;
    }
}
