package dev.writ.agent.sshagent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A SIGN_REQUEST naming a key blob that OpenSSH would not read: SSH_AGENT_FAILURE, and the agent
 * says why in its log, before it even looks for the key. The key is certified by the real
 * ssh-keygen.
 */
class MalformedSignRequestTest {

    @TempDir
    static Path dir;
    static AgentKey key;
    static AgentServer server;
    static final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        AgentKey.Pending pending = AgentKey.generate();
        Path publicKey = Files.writeString(dir.resolve("id.pub"), pending.publicKeyLine() + "\n");
        Path ca = dir.resolve("ca");
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca.toString())).exitCode());
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-s", ca.toString(), "-I", "alice@example.com", "-n", "alice",
                "-V", "-5m:+1h", publicKey.toString())).exitCode());
        key = pending.certify(Certificate.parse(Files.readString(dir.resolve("id-cert.pub"))));
        server = AgentServer.start(dir.resolve("run/agent.sock"), new IdentitySource() {
            @Override
            public List<AgentKey> identities() {
                return List.of(key);
            }

            @Override
            public Optional<AgentKey> find(byte[] blob) {
                return key.answersTo(blob) ? Optional.of(key) : Optional.empty();
            }

            @Override
            public AgentStatus status() {
                return new AgentStatus(key.certificate().line(), null);
            }
        }, log::add);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static byte[] sign(byte[] blob) throws Exception {
        ByteArrayBuffer message = new ByteArrayBuffer();
        message.putByte(AgentProtocol.SSH_AGENTC_SIGN_REQUEST);
        message.putBytes(blob);
        message.putBytes("session identifier and userauth request".getBytes());
        message.putUInt(0);
        try (AgentClient client = AgentClient.connect(server.socket())) {
            return client.request(message.getCompactData());
        }
    }

    static byte[] withTrailing(byte[] blob, int count) {
        return Arrays.copyOf(blob, blob.length + count);
    }

    static Stream<Arguments> malformedBlobs() {
        ByteArrayBuffer unknown = new ByteArrayBuffer();
        unknown.putString("ssh-foo");
        unknown.putBytes(new byte[32]);
        return Stream.of(
                Arguments.of("fail/trailing-bytes-after-certificate", withTrailing(key.certificate().blob(), 3),
                        "refused a sign request: 3 bytes after the end of the certificate"),
                Arguments.of("fail/trailing-bytes-after-plain-key", withTrailing(key.publicKeyBlob(), 1),
                        "refused a sign request: 1 byte after the end of the key"),
                Arguments.of("fail/certificate-cut-short", Arrays.copyOf(key.certificate().blob(), 100),
                        "refused a sign request: truncated Ed25519 key in the certificate"),
                Arguments.of("fail/unknown-key-type", unknown.getCompactData(), "refused a sign request: unknown key type 'ssh-foo'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedBlobs")
    void refusesAndLogsWhy(String name, byte[] blob, String logged) throws Exception {
        log.clear();
        assertArrayEquals(new byte[] {AgentProtocol.SSH_AGENT_FAILURE}, sign(blob));
        assertEquals(List.of(logged), log);
    }

    /** The rows differ from a request the agent answers only in the blob. */
    @Test
    void okSignsForTheCertificateItHolds() throws Exception {
        log.clear();
        byte[] answer = sign(key.certificate().blob());
        assertEquals(AgentProtocol.SSH_AGENT_SIGN_RESPONSE, answer[0], log.toString());
        assertTrue(log.isEmpty(), log.toString());
    }
}
