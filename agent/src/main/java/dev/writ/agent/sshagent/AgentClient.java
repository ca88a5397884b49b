package dev.writ.agent.sshagent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/** Talks to an ssh-agent (the user's, or writ's own) over its UNIX socket. */
public final class AgentClient implements AutoCloseable {

    private final SocketChannel channel;

    private AgentClient(SocketChannel channel) {
        this.channel = channel;
    }

    public static AgentClient connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new AgentClient(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** An identity an agent lists: its key or certificate blob and its comment. */
    public record Identity(byte[] blob, String comment) {

        /** The key type named at the start of the blob, e.g. {@code ssh-ed25519-cert-v01@openssh.com}. */
        public String keyType() {
            return new ByteArrayBuffer(blob).getString();
        }
    }

    public List<Identity> identities() throws IOException {
        ByteArrayBuffer answer = new ByteArrayBuffer(request(new byte[] {AgentProtocol.SSH_AGENTC_REQUEST_IDENTITIES}));
        if (answer.getByte() != AgentProtocol.SSH_AGENT_IDENTITIES_ANSWER) {
            throw new IOException("the agent did not list its identities");
        }
        long count = answer.getUInt();
        List<Identity> identities = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            identities.add(new Identity(answer.getBytes(), answer.getString()));
        }
        return identities;
    }

    /** Sends an add message (see {@link AgentKey#exportPrivateKeyToAgentMessage}); true when the agent took it. */
    public boolean add(byte[] addMessage) throws IOException {
        return request(addMessage)[0] == AgentProtocol.SSH_AGENT_SUCCESS;
    }

    public boolean remove(byte[] blob) throws IOException {
        ByteArrayBuffer message = new ByteArrayBuffer();
        message.putByte(AgentProtocol.SSH_AGENTC_REMOVE_IDENTITY);
        message.putBytes(blob);
        return request(message.getCompactData())[0] == AgentProtocol.SSH_AGENT_SUCCESS;
    }

    /** The answer to an extension request after its SUCCESS byte, or empty when the agent does not know it. */
    public Optional<byte[]> extension(String name) throws IOException {
        ByteArrayBuffer message = new ByteArrayBuffer();
        message.putByte(AgentProtocol.SSH_AGENTC_EXTENSION);
        message.putString(name);
        byte[] answer = request(message.getCompactData());
        if (answer[0] != AgentProtocol.SSH_AGENT_SUCCESS) {
            return Optional.empty();
        }
        byte[] payload = new byte[answer.length - 1];
        System.arraycopy(answer, 1, payload, 0, payload.length);
        return Optional.of(payload);
    }

    /** One raw request and its answer (type byte first). */
    public byte[] request(byte[] message) throws IOException {
        AgentProtocol.write(channel, message);
        byte[] answer = AgentProtocol.read(channel);
        if (answer == null) {
            throw new IOException("the agent closed the connection");
        }
        return answer;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
