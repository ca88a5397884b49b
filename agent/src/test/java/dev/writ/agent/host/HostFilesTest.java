package dev.writ.agent.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostFilesTest {

    @TempDir
    Path dir;

    @Test
    void createsAnEd25519HostKeyReadableByItsOwnerOnly() throws Exception {
        HostFiles files = new HostFiles(dir.resolve("ssh"));
        HostFiles.HostKey key = files.loadOrCreateKey();
        assertTrue(key.created());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.key())));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("ssh/ssh_host_ed25519_key.pub"))));
        assertTrue(Files.readString(files.key()).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----"));
        assertTrue(Files.readString(dir.resolve("ssh/ssh_host_ed25519_key.pub")).startsWith("ssh-ed25519 "));
    }

    @Test
    void keepsTheHostKeyThatIsAlreadyThere() throws Exception {
        HostFiles files = new HostFiles(dir);
        files.loadOrCreateKey();
        byte[] before = Files.readAllBytes(files.key());
        HostFiles.HostKey again = files.loadOrCreateKey();
        assertFalse(again.created());
        assertArrayEquals(before, Files.readAllBytes(files.key()));
    }

    @Test
    void keepsAKeyMadeByTheRealSshKeygen() throws Exception {
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                dir.resolve("ssh_host_ed25519_key").toString()).redirectErrorStream(true).start();
        assertEquals(0, keygen.waitFor());
        HostFiles.HostKey key = new HostFiles(dir).loadOrCreateKey();
        assertFalse(key.created());
        String pub = Files.readString(dir.resolve("ssh_host_ed25519_key.pub")).split(" ")[1];
        assertEquals(pub, org.apache.sshd.common.config.keys.PublicKeyEntry.toString(key.pair().getPublic()).split(" ")[1]);
    }

    @Test
    void refusesAHostKeyOthersCanRead() throws Exception {
        HostFiles files = new HostFiles(dir);
        files.loadOrCreateKey();
        Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw-r--r--"));
        HostCommandException e = assertThrows(HostCommandException.class, files::loadOrCreateKey);
        assertEquals(files.key() + " has mode rw-r--r--; a private key must be readable by its owner only (chmod 600 "
                + files.key() + ")", e.getMessage());
    }

    @Test
    void refusesAHostKeyOfAnotherType() throws Exception {
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f",
                dir.resolve("ssh_host_ed25519_key").toString()).redirectErrorStream(true).start();
        assertEquals(0, keygen.waitFor());
        HostCommandException e = assertThrows(HostCommandException.class, () -> new HostFiles(dir).loadKey());
        assertEquals(dir.resolve("ssh_host_ed25519_key") + " is a ecdsa-sha2-nistp256 key, not Ed25519", e.getMessage());
    }

    @Test
    void sendsThoseWithoutABootstrapBackToIt() {
        HostFiles files = new HostFiles(dir);
        assertEquals("no host key at " + files.key() + ": run writ host bootstrap first",
                assertThrows(HostCommandException.class, files::loadKey).getMessage());
        assertEquals("no host certificate at " + files.certificate() + ": run writ host bootstrap first",
                assertThrows(HostCommandException.class, files::readCertificate).getMessage());
    }

    @Test
    void writesFilesWholeAndLeavesNoTemporaryFileBehind() throws Exception {
        HostFiles files = new HostFiles(dir);
        files.writeUserCaKeys("ssh-ed25519 AAAA1");
        files.writeUserCaKeys("ssh-ed25519 AAAA2\n");
        assertEquals("ssh-ed25519 AAAA2\n", Files.readString(files.userCaKeys()));
        try (var entries = Files.list(dir)) {
            assertEquals(List.of("writ_user_ca.pub"), entries.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void remembersTheCa() throws Exception {
        HostFiles files = new HostFiles(dir);
        files.writeState(java.net.URI.create("https://ca.example.com"));
        assertEquals("https://ca.example.com", files.readCaUrl());
    }
}
