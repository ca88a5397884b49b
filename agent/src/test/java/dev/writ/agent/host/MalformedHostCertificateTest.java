package dev.writ.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.writ.ca.testing.Processes;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host certificate that OpenSSH would not read (bytes after its signature, which MINA never
 * looks at), from the CA or in the certificate file: {@code writ host} stops instead of
 * installing or renewing it. The certificate is signed by the real ssh-keygen.
 */
class MalformedHostCertificateTest {

    @TempDir
    Path dir;
    HostFiles files;
    HostFiles.HostKey key;
    String certificate;

    @BeforeEach
    void certifyTheHostKeyWithSshKeygen() throws Exception {
        files = new HostFiles(dir.resolve("ssh"));
        key = files.loadOrCreateKey();
        Path ca = dir.resolve("host_ca");
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca.toString())).exitCode());
        Path publicKey = dir.resolve("ssh/ssh_host_ed25519_key.pub");
        assertEquals(0, Processes.run(List.of("ssh-keygen", "-q", "-s", ca.toString(), "-h", "-I", "web01",
                "-n", "web01.example.com", publicKey.toString())).exitCode());
        certificate = Files.readString(dir.resolve("ssh/ssh_host_ed25519_key-cert.pub")).strip();
    }

    /** The certificate with two zero bytes appended to its signature, the last string of the blob. */
    String withBytesAfterTheSignature(String line) {
        String[] fields = line.split(" ");
        byte[] blob = Base64.getDecoder().decode(fields[1]);
        int signature = 4 + "ssh-ed25519".length() + 4 + 64; // what an Ed25519 CA's signature takes
        int at = blob.length - 4 - signature;
        assertEquals(signature, ByteBuffer.wrap(blob).getInt(at));
        ByteBuffer changed = ByteBuffer.allocate(blob.length + 2).put(blob, 0, at).putInt(signature + 2)
                .put(blob, at + 4, signature);
        return fields[0] + " " + Base64.getEncoder().encodeToString(changed.array());
    }

    @Test
    void refusesOneFromTheCa() {
        HostCommandException refused = assertThrows(HostCommandException.class,
                () -> HostBootstrap.requireCertificateFor(withBytesAfterTheSignature(certificate), key));
        assertEquals("the CA answered with something that is not a host certificate for this host's key", refused.getMessage());
    }

    @Test
    void okTheSameCertificateAsSshKeygenWroteIt() throws Exception {
        HostBootstrap.requireCertificateFor(certificate, key);
    }

    @Test
    void refusesToReadOneFromTheCertificateFile() throws Exception {
        Files.writeString(files.certificate(), withBytesAfterTheSignature(certificate) + "\n");
        HostCommandException refused = assertThrows(HostCommandException.class, files::readCertificate);
        assertEquals(files.certificate() + ": 2 bytes after the end of the certificate's signature", refused.getMessage());
    }
}
