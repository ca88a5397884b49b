package dev.writ.ca.keys;

import dev.writ.ca.config.CaConfig.KeyType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyEncryptionContext;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three certificate authorities, read from (or generated into) the keys directory:
 * <ul>
 *   <li>{@code user_ca} signs engineers' certificates, which only bastions trust;</li>
 *   <li>{@code session_ca} signs the bastion's one-session certificates, the only user CA that
 *       targets trust (so the bastion is the only way in);</li>
 *   <li>{@code host_ca} signs host certificates.</li>
 * </ul>
 * Each is an OpenSSH private-key file, mode 0600, generated when absent (a CA upgraded from a
 * version without a session CA gets one at its first start), optionally encrypted with the
 * passphrase in {@code WRIT_CA_KEY_PASSPHRASE}. {@code NAME-*.pub} beside it are further trusted
 * keys (the previous key during a rotation), published but never used to sign.
 */
public record CaKeyRing(CaKey user, CaKey session, CaKey host) {

    public static final String PASSPHRASE_ENV = "WRIT_CA_KEY_PASSPHRASE";
    private static final Logger LOG = LoggerFactory.getLogger(CaKeyRing.class);

    public static CaKeyRing loadOrCreate(Path dir, KeyType type, String passphrase) throws IOException, GeneralSecurityException {
        return loadOrCreate(new KeySources(dir, type, passphrase, null));
    }

    /** Each CA's first key, from its file or its label in the token, generated there when absent. */
    public static CaKeyRing loadOrCreate(KeySources sources) throws IOException, GeneralSecurityException {
        KeyFiles.ensurePrivateDirectory(sources.dir());
        return new CaKeyRing(loadOrCreate(sources, "user_ca"), loadOrCreate(sources, "session_ca"),
                loadOrCreate(sources, "host_ca"));
    }

    private static CaKey loadOrCreate(KeySources sources, String name) throws IOException, GeneralSecurityException {
        CaSigner signer = sources.first(name).isPresent() ? sources.first(name).get() : sources.create(name, name);
        return new CaKey(name, signer, readTrusted(sources.dir(), name));
    }

    /** The CA named {@code user_ca}, {@code session_ca} or {@code host_ca}. */
    public CaKey named(String name) {
        return switch (name) {
            case "user_ca" -> user;
            case "session_ca" -> session;
            case "host_ca" -> host;
            default -> throw new IllegalArgumentException("no CA named " + name);
        };
    }

    /** Every key of every CA: the KRL has a certificate section for each, and none of them may be revoked. */
    public Stream<PublicKey> allTrusted() {
        return Stream.of(user, session, host).flatMap(ca -> ca.trusted().stream());
    }

    /** Generates a file key and writes it (0600) with its .pub beside it. */
    static FileCaSigner createFile(Path dir, String file, KeyType type, String passphrase)
            throws IOException, GeneralSecurityException {
        Path path = dir.resolve(file);
        if (Files.exists(path)) {
            throw new IOException(path + " exists already");
        }
        KeyPair pair = generate(type);
        KeyFiles.writeSecret(path, encode(pair, "writ " + file, passphrase));
        KeyFiles.writePublic(dir.resolve(file + ".pub"),
                (PublicKeyEntry.toString(pair.getPublic()) + " writ " + file + "\n").getBytes(StandardCharsets.UTF_8));
        LOG.info("generated {} {} key in {}", file, KeyUtils.getKeyType(pair), dir);
        return new FileCaSigner(pair, "file:" + file);
    }

    /** Reads a file key (0600 or refused). */
    static FileCaSigner readFile(Path dir, String file, String passphrase) throws IOException, GeneralSecurityException {
        Path path = dir.resolve(file);
        KeyFiles.requireOwnerOnly(path);
        return new FileCaSigner(read(path, passphrase), "file:" + file);
    }

    static KeyPair generate(KeyType type) throws GeneralSecurityException {
        return switch (type) {
            case ed25519 -> KeyUtils.generateKeyPair(KeyPairNames.ED25519, 256);
            case ecdsa -> KeyUtils.generateKeyPair(KeyPairNames.ECDSA_P256, 256);
            case rsa -> KeyUtils.generateKeyPair(KeyPairNames.RSA, 4096);
        };
    }

    private static KeyPair read(Path file, String passphrase) throws IOException, GeneralSecurityException {
        FilePasswordProvider passwords = passphrase == null ? FilePasswordProvider.EMPTY : FilePasswordProvider.of(passphrase);
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, passwords);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IOException(file + " holds no private key");
            }
            return it.next();
        }
    }

    private static byte[] encode(KeyPair pair, String comment, String passphrase) throws IOException, GeneralSecurityException {
        OpenSSHKeyEncryptionContext encryption = null;
        if (passphrase != null) {
            encryption = new OpenSSHKeyEncryptionContext();
            encryption.setCipherName("AES");
            encryption.setCipherMode("CTR");
            encryption.setCipherType("256");
            encryption.setPassword(passphrase);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, comment, encryption, out);
        return out.toByteArray();
    }

    private static List<PublicKey> readTrusted(Path dir, String name) throws IOException, GeneralSecurityException {
        List<PublicKey> keys = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, name + "-*.pub")) {
            List<Path> sorted = new ArrayList<>();
            files.forEach(sorted::add);
            sorted.sort(null);
            for (Path file : sorted) {
                String line = Files.readString(file).strip();
                keys.add(PublicKeyEntry.parsePublicKeyEntry(line).resolvePublicKey(null, null, null));
            }
        }
        return keys;
    }

    /** JCA algorithm names MINA's key generator expects. */
    private static final class KeyPairNames {
        static final String ED25519 = "ssh-ed25519";
        static final String ECDSA_P256 = "ecdsa-sha2-nistp256";
        static final String RSA = "ssh-rsa";
    }
}
