package dev.writ.ca.keys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Iterator;
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
 * The audit key as an OpenSSH private-key file {@code audit_key} in the keys directory, beside
 * the CA keys and like them: Ed25519, mode 0600 (refused when looser), generated at the first
 * start with {@code audit_key.pub} beside it, encrypted with {@code WRIT_CA_KEY_PASSPHRASE} when
 * that is set.
 */
public final class AuditKeyFile implements AuditSigner {

    public static final String NAME = "audit_key";
    private static final Logger LOG = LoggerFactory.getLogger(AuditKeyFile.class);

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private AuditKeyFile(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    public static AuditKeyFile loadOrCreate(Path dir, String passphrase) throws IOException, GeneralSecurityException {
        KeyFiles.ensurePrivateDirectory(dir);
        Path file = dir.resolve(NAME);
        KeyPair pair;
        if (Files.exists(file)) {
            KeyFiles.requireOwnerOnly(file);
            pair = read(file, passphrase);
        } else {
            pair = KeyUtils.generateKeyPair("ssh-ed25519", 256);
            KeyFiles.writeSecret(file, encode(pair, "writ " + NAME, passphrase));
            KeyFiles.writePublic(dir.resolve(NAME + ".pub"),
                    (PublicKeyEntry.toString(pair.getPublic()) + " writ " + NAME + "\n").getBytes(StandardCharsets.UTF_8));
            LOG.info("generated the audit key in {}", dir);
        }
        if (!"Ed25519".equalsIgnoreCase(pair.getPrivate().getAlgorithm()) && !"EdDSA".equalsIgnoreCase(pair.getPrivate().getAlgorithm())) {
            throw new GeneralSecurityException(file + " is a " + pair.getPrivate().getAlgorithm() + " key; the audit key is Ed25519");
        }
        // re-encoded for the JDK's own Ed25519, whichever provider parsed the file
        PrivateKey jdk = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pair.getPrivate().getEncoded()));
        return new AuditKeyFile(jdk, pair.getPublic());
    }

    /** The same reading as the CA keys' ({@link CaKeyRing}). */
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

    @Override
    public byte[] sign(byte[] data) throws GeneralSecurityException {
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(privateKey);
        signer.update(data);
        return signer.sign();
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public String toString() {
        return "AuditKeyFile[" + PublicKeyEntry.toString(publicKey) + "]";
    }
}
