package dev.writ.agent.sshagent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Security;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A message in the ssh-agent protocol from any local process: answered with one of the agent's
 * answers (failure, success, identities, signature), never an exception or nothing. The agent
 * serves one key, certified in the test by a throwaway CA.
 */
class AgentRequestFuzzTest {

    static final Set<Byte> ANSWERS = Set.of(AgentProtocol.SSH_AGENT_FAILURE, AgentProtocol.SSH_AGENT_SUCCESS,
            AgentProtocol.SSH_AGENT_IDENTITIES_ANSWER, AgentProtocol.SSH_AGENT_SIGN_RESPONSE);
    static Path dir;
    static AgentKey key;
    static AgentServer server;

    @BeforeAll
    static void start() throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        dir = Files.createTempDirectory("writ-agent-fuzz");
        AgentKey.Pending pending = AgentKey.generate();
        KeyPair ca = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        var certificate = OpenSshCertificateBuilder.userCertificate()
                .publicKey(PublicKeyEntry.parsePublicKeyEntry(pending.publicKeyLine()).resolvePublicKey(null, null, null))
                .serial(1).id("alice@example.com").principals(List.of("alice"))
                .validAfter(Instant.now().minusSeconds(60)).validBefore(Instant.now().plusSeconds(3600))
                .extension("permit-pty", "").sign(ca, "ssh-ed25519");
        key = pending.certify(Certificate.parse(PublicKeyEntry.toString(certificate)));
        IdentitySource one = new IdentitySource() {
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
        };
        server = AgentServer.start(dir.resolve("agent.sock"), one, line -> { });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @FuzzTest(maxDuration = "10s")
    void answersEveryMessage(byte[] message) {
        byte[] answer = server.handle(message == null ? new byte[0] : message);
        assertTrue(answer != null && answer.length > 0 && ANSWERS.contains(answer[0]), "no valid answer");
    }
}
