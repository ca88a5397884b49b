package dev.writ.agent.sshagent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.Programs;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * writ's ssh-agent protocol server with a key certified by a real CA, checked with the real
 * {@code ssh-add} and with raw protocol messages.
 */
class AgentServerTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static AgentKey key;
    static AgentServer server;
    static final List<String> log = new CopyOnWriteArrayList<>();

    /** Serves one fixed key, as the on-demand identity would once it has fetched one. */
    static final IdentitySource FIXED = new IdentitySource() {
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

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS);
        key = certifiedKey();
        server = AgentServer.start(dir.resolve("run/writ/agent.sock"), FIXED, log::add);
    }

    @AfterAll
    static void stop() {
        server.close();
        ca.close();
        idp.close();
    }

    static AgentKey certifiedKey() throws Exception {
        AgentKey.Pending pending = AgentKey.generate();
        HttpResponse<String> answer = ca.post("/v1/certs/user", idp.idToken("alice@example.com", List.of("engineering")),
                JSON.writeValueAsString(Map.of("public_key", pending.publicKeyLine())));
        assertEquals(201, answer.statusCode(), answer.body());
        return pending.certify(Certificate.parse(JSON.readTree(answer.body()).get("certificate").asText()));
    }

    static byte[] request(byte... message) throws Exception {
        try (AgentClient client = AgentClient.connect(server.socket())) {
            return client.request(message);
        }
    }

    static byte[] signRequest(byte[] blob, byte[] data, int flags) {
        ByteArrayBuffer message = new ByteArrayBuffer();
        message.putByte(AgentProtocol.SSH_AGENTC_SIGN_REQUEST);
        message.putBytes(blob);
        message.putBytes(data);
        message.putUInt(flags);
        return message.getCompactData();
    }

    @Nested
    class Listing {

        @Test
        void listsTheCertificateToTheRealSshAdd() throws Exception {
            Processes.Result listed = Programs.sshAddList(server.socket());

            assertEquals(0, listed.exitCode(), listed.output());
            assertTrue(listed.output().matches("256 SHA256:\\S+ writ alice@example.com \\(ED25519-CERT\\)\n"), listed.output());
        }

        @Test
        void listsExactlyTheCertificateTheCaIssued() throws Exception {
            Processes.Result listed = Programs.run(Map.of("SSH_AUTH_SOCK", server.socket().toString()), List.of("ssh-add", "-L"));

            assertEquals(key.certificate().line() + " writ alice@example.com\n", listed.output());
        }

        @Test
        void createsItsSocket0600InA0700Directory() throws Exception {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket().getParent())));
        }

        @Test
        void minaEncodesTheCertificateToTheSameBlobTheCaSent() throws Exception {
            ByteArrayBuffer encoded = new ByteArrayBuffer();
            encoded.putRawPublicKey(dev.writ.protocol.ssh.PublicKeys.parse(key.certificate().line()));

            assertArrayEquals(key.certificate().blob(), encoded.getCompactData());
        }
    }

    @Nested
    class Signing {

        @Test
        void signsWithEd25519WhateverRsaFlagsTheClientSends() throws Exception {
            byte[] data = "session identifier and userauth request".getBytes();
            for (int flags : new int[] {0, AgentKey.SSH_AGENT_RSA_SHA2_256, AgentKey.SSH_AGENT_RSA_SHA2_512}) {
                ByteArrayBuffer answer = new ByteArrayBuffer(request(signRequest(key.certificate().blob(), data, flags)));

                assertEquals(AgentProtocol.SSH_AGENT_SIGN_RESPONSE, answer.getByte(), log.toString());
                ByteArrayBuffer signature = new ByteArrayBuffer(answer.getBytes());
                assertEquals("ssh-ed25519", signature.getString());
                Signature verifier = BuiltinSignatures.ed25519.create();
                verifier.initVerifier(null, key.certificate().certifiedKey());
                verifier.update(null, data);
                assertTrue(verifier.verify(null, signature.getBytes()), "flags " + flags);
            }
        }

        @Test
        void signsForThePlainPublicKeyToo() throws Exception {
            byte[] answer = request(signRequest(key.publicKeyBlob(), new byte[] {1, 2, 3}, 0));

            assertEquals(AgentProtocol.SSH_AGENT_SIGN_RESPONSE, answer[0]);
        }

        @Test
        void refusesToSignForAKeyItDoesNotHold() throws Exception {
            AgentKey other = certifiedKey();

            assertArrayEquals(new byte[] {AgentProtocol.SSH_AGENT_FAILURE},
                    request(signRequest(other.certificate().blob(), new byte[] {1}, 0)));
        }

        @Test
        void picksTheRsaSignatureAlgorithmFromTheFlags() {
            assertEquals("rsa-sha2-512", AgentKey.signatureAlgorithm("ssh-rsa", AgentKey.SSH_AGENT_RSA_SHA2_512));
            assertEquals("rsa-sha2-512", AgentKey.signatureAlgorithm("ssh-rsa", AgentKey.SSH_AGENT_RSA_SHA2_256 | AgentKey.SSH_AGENT_RSA_SHA2_512));
            assertEquals("rsa-sha2-256", AgentKey.signatureAlgorithm("ssh-rsa", AgentKey.SSH_AGENT_RSA_SHA2_256));
            assertEquals("ssh-rsa", AgentKey.signatureAlgorithm("ssh-rsa", 0));
            assertEquals("ssh-ed25519", AgentKey.signatureAlgorithm("ssh-ed25519", AgentKey.SSH_AGENT_RSA_SHA2_512));
        }
    }

    @Nested
    class Refusals {

        @Test
        void refusesAddingAKeyWithTheRealSshAdd() throws Exception {
            Path keyFile = dir.resolve("id_other");
            Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile.toString()));

            Processes.Result added = Programs.run(Map.of("SSH_AUTH_SOCK", server.socket().toString()),
                    List.of("ssh-add", keyFile.toString()));

            assertNotEquals(0, added.exitCode(), added.output());
            assertEquals(1, Programs.sshAddList(server.socket()).output().lines().count());
        }

        @Test
        void refusesRemovingAllKeysWithTheRealSshAdd() throws Exception {
            Processes.Result removed = Programs.run(Map.of("SSH_AUTH_SOCK", server.socket().toString()), List.of("ssh-add", "-D"));

            assertNotEquals(0, removed.exitCode(), removed.output());
            assertEquals(1, Programs.sshAddList(server.socket()).output().lines().count());
        }

        @Test
        void answersFailureToRemoveLockUnlockConstrainedAddAndUnknownMessages() throws Exception {
            ByteArrayBuffer remove = new ByteArrayBuffer();
            remove.putByte(AgentProtocol.SSH_AGENTC_REMOVE_IDENTITY);
            remove.putBytes(key.certificate().blob());
            ByteArrayBuffer lock = new ByteArrayBuffer();
            lock.putByte(AgentProtocol.SSH_AGENTC_LOCK);
            lock.putString("passphrase");
            ByteArrayBuffer unlock = new ByteArrayBuffer();
            unlock.putByte(AgentProtocol.SSH_AGENTC_UNLOCK);
            unlock.putString("passphrase");
            byte[] constrainedAdd = certifiedKey().exportPrivateKeyToAgentMessage("intruder", 60);
            ByteArrayBuffer sessionBind = new ByteArrayBuffer();
            sessionBind.putByte(AgentProtocol.SSH_AGENTC_EXTENSION);
            sessionBind.putString("session-bind@openssh.com");

            for (byte[] message : List.of(remove.getCompactData(), lock.getCompactData(), unlock.getCompactData(),
                    constrainedAdd, sessionBind.getCompactData(), new byte[] {AgentProtocol.SSH_AGENTC_REMOVE_ALL_IDENTITIES},
                    new byte[] {AgentProtocol.SSH_AGENTC_ADD_IDENTITY}, new byte[] {(byte) 200})) {
                assertArrayEquals(new byte[] {AgentProtocol.SSH_AGENT_FAILURE}, request(message), "message " + message[0]);
            }
            assertEquals(1, Programs.sshAddList(server.socket()).output().lines().count());
        }

        @Test
        void survivesAMessageThatAnnouncesMoreThanTheLimit() throws Exception {
            try (var channel = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                channel.connect(java.net.UnixDomainSocketAddress.of(server.socket()));
                channel.write(java.nio.ByteBuffer.allocate(4).putInt(AgentProtocol.MAX_MESSAGE + 1).flip());
                assertEquals(-1, channel.read(java.nio.ByteBuffer.allocate(8)), "the agent hangs up");
            }
            assertEquals(0, Programs.sshAddList(server.socket()).exitCode());
        }
    }
}
