package dev.writ.agent.sshagent;

import dev.writ.agent.Json;
import dev.writ.agent.config.SecureFiles;
import dev.writ.protocol.ssh.MalformedKeyException;
import dev.writ.protocol.ssh.StrictSshBlob;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * writ's ssh-agent: a UNIX socket (mode 0600, in a 0700 directory) served with the JDK's own
 * UNIX-domain channels, answering REQUEST_IDENTITIES and SIGN_REQUEST from an
 * {@link IdentitySource}. Every request that would change the agent (add, remove, lock) gets
 * SSH_AGENT_FAILURE: its keys come from the CA only.
 */
public final class AgentServer implements AutoCloseable {

    private final Path socket;
    private final ServerSocketChannel server;
    private final IdentitySource identities;
    private final Consumer<String> log;
    private final ExecutorService connections = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "writ-agent-connection");
        thread.setDaemon(true);
        return thread;
    });
    private final String owner = System.getProperty("user.name");

    private AgentServer(Path socket, ServerSocketChannel server, IdentitySource identities, Consumer<String> log) {
        this.socket = socket;
        this.server = server;
        this.identities = identities;
        this.log = log;
    }

    /** Binds {@code socket} (its directory made 0700) and starts accepting; the caller checked that no agent runs there. */
    public static AgentServer start(Path socket, IdentitySource identities, Consumer<String> log) throws IOException {
        SecureFiles.privateDirectory(socket.toAbsolutePath().getParent());
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, SecureFiles.FILE_MODE);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        AgentServer agent = new AgentServer(socket, server, identities, log);
        Thread acceptor = new Thread(agent::acceptLoop, "writ-agent-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return agent;
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                connections.execute(() -> serve(client));
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                log.accept("cannot accept a connection: " + e.getMessage());
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            if (!trusted(client)) {
                return;
            }
            byte[] request;
            while ((request = AgentProtocol.read(client)) != null) {
                AgentProtocol.write(client, handle(request));
            }
        } catch (IOException e) {
            // the client went away or spoke garbage: that connection ends, the agent goes on
        }
    }

    /** Defence in depth behind the 0700 directory: only our own user (or root) may talk to us. */
    private boolean trusted(SocketChannel client) throws IOException {
        UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
        String user = peer.user().getName();
        if (user.equals(owner) || user.equals("root")) {
            return true;
        }
        log.accept("refused a connection from user " + user);
        return false;
    }

    /** One request, one answer. */
    byte[] handle(byte[] request) {
        ByteArrayBuffer in = new ByteArrayBuffer(request);
        try {
            return switch (in.getByte()) {
                case AgentProtocol.SSH_AGENTC_REQUEST_IDENTITIES -> identitiesAnswer(identities.identities());
                case AgentProtocol.SSH_AGENTC_SIGN_REQUEST -> sign(in);
                case AgentProtocol.SSH_AGENTC_EXTENSION -> extension(in);
                // add, remove, remove all, lock, unlock, smartcards and anything unknown
                default -> failure();
            };
        } catch (RuntimeException e) {
            log.accept("cannot answer an agent request: " + e);
            return failure();
        }
    }

    private static byte[] identitiesAnswer(List<AgentKey> keys) {
        ByteArrayBuffer out = new ByteArrayBuffer();
        out.putByte(AgentProtocol.SSH_AGENT_IDENTITIES_ANSWER);
        out.putUInt(keys.size());
        for (AgentKey key : keys) {
            out.putBytes(key.certificate().blob());
            out.putString(comment(key));
        }
        return out.getCompactData();
    }

    /** The comment every agent shows next to a writ key, and by which {@code writ logout} finds them. */
    public static String comment(AgentKey key) {
        return "writ " + key.certificate().keyId();
    }

    private byte[] sign(Buffer in) {
        byte[] blob = in.getBytes();
        byte[] data = in.getBytes();
        int flags = in.available() >= 4 ? (int) in.getUInt() : 0;
        try {
            StrictSshBlob.check(blob); // what the client names is read as OpenSSH's agent reads it, before anything else
        } catch (MalformedKeyException e) {
            log.accept("refused a sign request: " + e.getMessage());
            return failure();
        }
        Optional<AgentKey> key = identities.find(blob);
        if (key.isEmpty()) {
            return failure();
        }
        try {
            ByteArrayBuffer out = new ByteArrayBuffer();
            out.putByte(AgentProtocol.SSH_AGENT_SIGN_RESPONSE);
            out.putBytes(key.get().sign(data, flags));
            return out.getCompactData();
        } catch (Exception e) {
            log.accept("cannot sign: " + e.getMessage());
            return failure();
        }
    }

    /** Only writ's status extension; every other one (session-bind@openssh.com, ...) is unsupported. */
    private byte[] extension(Buffer in) {
        if (!AgentProtocol.STATUS_EXTENSION.equals(in.getString())) {
            return failure();
        }
        try {
            ByteArrayBuffer out = new ByteArrayBuffer();
            out.putByte(AgentProtocol.SSH_AGENT_SUCCESS);
            out.putString(Json.MAPPER.writeValueAsString(identities.status()));
            return out.getCompactData();
        } catch (IOException e) {
            return failure();
        }
    }

    private static byte[] failure() {
        return new byte[] {AgentProtocol.SSH_AGENT_FAILURE};
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            log.accept("closing the agent socket: " + e.getMessage());
        }
        connections.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.accept("cannot delete " + socket + ": " + e.getMessage());
        }
    }
}
