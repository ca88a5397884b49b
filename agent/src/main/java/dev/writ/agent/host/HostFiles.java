package dev.writ.agent.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * A host's writ files, next to sshd's own keys ({@code /etc/ssh} by default) and named as
 * OpenSSH names them, so that sshd finds the key without configuration:
 * <ul>
 *   <li>{@value #KEY}: the host's private key, mode 0600, kept when present;</li>
 *   <li>{@value #CERTIFICATE}: its certificate from writ (public, 0644);</li>
 *   <li>{@value #USER_CA}: the CA keys sshd trusts for logins, for {@code TrustedUserCAKeys}:
 *       writ's session CA, so that only the bastion logs in;</li>
 *   <li>{@value #STATE}: which CA issued the certificate, for {@code writ host renew}.</li>
 * </ul>
 * Every file is written to a temporary file and moved into place, so sshd never reads half of one.
 */
final class HostFiles {

    static final Path DEFAULT_DIR = Path.of("/etc/ssh");
    static final String KEY = "ssh_host_ed25519_key";
    static final String CERTIFICATE = KEY + "-cert.pub";
    static final String USER_CA = "writ_user_ca.pub";
    static final String REVOKED_KEYS = "writ_revoked_keys.krl";
    static final String STATE = "writ-host.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<PosixFilePermission> LOOSE = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path dir;

    HostFiles(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    Path key() {
        return dir.resolve(KEY);
    }

    Path certificate() {
        return dir.resolve(CERTIFICATE);
    }

    Path userCaKeys() {
        return dir.resolve(USER_CA);
    }

    Path revokedKeys() {
        return dir.resolve(REVOKED_KEYS);
    }

    /** The host key, whether it was there already or made now. */
    record HostKey(KeyPair pair, boolean created) {
    }

    /** The host key already in the directory (sshd's own, typically), else a new Ed25519 key, written 0600. */
    HostKey loadOrCreateKey() throws HostCommandException {
        if (Files.exists(key())) {
            return new HostKey(loadKey(), false);
        }
        try {
            Files.createDirectories(dir);
            KeyPair pair = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
            ByteArrayOutputStream encoded = new ByteArrayOutputStream();
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, "writ host key", null, encoded);
            write(key(), encoded.toByteArray(), "rw-------");
            write(dir.resolve(KEY + ".pub"), (PublicKeyEntry.toString(pair.getPublic()) + " writ host key\n")
                    .getBytes(StandardCharsets.UTF_8), "rw-r--r--");
            return new HostKey(pair, true);
        } catch (IOException | GeneralSecurityException e) {
            throw new HostCommandException("cannot create the host key " + key() + ": " + e.getMessage(), e);
        }
    }

    /** The existing host key; refused when others may read it, or when it is not Ed25519. */
    KeyPair loadKey() throws HostCommandException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(key());
            if (permissions.stream().anyMatch(LOOSE::contains)) {
                throw new HostCommandException(key() + " has mode " + PosixFilePermissions.toString(permissions)
                        + "; a private key must be readable by its owner only (chmod 600 " + key() + ")");
            }
            try (InputStream in = Files.newInputStream(key())) {
                Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(key().toString()),
                        in, FilePasswordProvider.EMPTY);
                Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
                if (it == null || !it.hasNext()) {
                    throw new HostCommandException(key() + " holds no private key");
                }
                KeyPair pair = it.next();
                if (!KeyPairProvider.SSH_ED25519.equals(KeyUtils.getKeyType(pair))) {
                    throw new HostCommandException(key() + " is a " + KeyUtils.getKeyType(pair) + " key, not Ed25519");
                }
                return pair;
            }
        } catch (NoSuchFileException e) {
            throw new HostCommandException("no host key at " + key() + ": run writ host bootstrap first");
        } catch (IOException | GeneralSecurityException e) {
            throw new HostCommandException("cannot read the host key " + key() + ": " + e.getMessage(), e);
        }
    }

    /** The current certificate line, and its parsed form. */
    record Certificate(String line, OpenSshCertificate parsed) {
    }

    Certificate readCertificate() throws HostCommandException {
        try {
            String line = Files.readString(certificate()).strip();
            if (PublicKeys.parse(line, certificate().toString()) instanceof OpenSshCertificate parsed) {
                return new Certificate(line, parsed);
            }
            throw new HostCommandException(certificate() + " holds no OpenSSH certificate");
        } catch (NoSuchFileException e) {
            throw new HostCommandException("no host certificate at " + certificate() + ": run writ host bootstrap first");
        } catch (InvalidKeyException e) {
            throw new HostCommandException(e.getMessage());
        } catch (IOException e) {
            throw new HostCommandException("cannot read the host certificate " + certificate() + ": " + e.getMessage(), e);
        }
    }

    void writeCertificate(String line) throws HostCommandException {
        writePublic(certificate(), line.strip() + "\n");
    }

    void writeUserCaKeys(String keys) throws HostCommandException {
        writePublic(userCaKeys(), keys.endsWith("\n") ? keys : keys + "\n");
    }

    /** Remembers which CA issued the certificate, for renewals. */
    void writeState(URI ca) throws HostCommandException {
        try {
            writePublic(dir.resolve(STATE), JSON.writeValueAsString(Map.of("ca", ca.toString())) + "\n");
        } catch (IOException e) {
            throw new HostCommandException("cannot write " + dir.resolve(STATE) + ": " + e.getMessage(), e);
        }
    }

    /** The CA's URL that bootstrap remembered. */
    String readCaUrl() throws HostCommandException {
        try {
            Object ca = JSON.readValue(dir.resolve(STATE).toFile(), Map.class).get("ca");
            if (ca instanceof String url) {
                return url;
            }
            throw new HostCommandException(dir.resolve(STATE) + " names no CA; run writ host bootstrap again or pass --ca");
        } catch (IOException e) {
            throw new HostCommandException("cannot read " + dir.resolve(STATE) + " (written by writ host bootstrap);"
                    + " pass --ca, or bootstrap first");
        }
    }

    private void writePublic(Path file, String content) throws HostCommandException {
        try {
            write(file, content.getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        } catch (IOException e) {
            throw new HostCommandException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes atomically, with the final mode from the first byte on (a private key is never readable by others). */
    private static void write(Path file, byte[] content, String mode) throws IOException {
        Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temp, content);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(mode));
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
