package dev.writ.agent.sshagent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Arrays;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;

/**
 * An Ed25519 key that lives in memory only, with the certificate the CA issued for it. Callers
 * sign through it and never hold the private key; the two places where private material leaves
 * this object are named {@code exportPrivateKey...} so that they are easy to find and review.
 */
public final class AgentKey {

    public static final String KEY_TYPE = KeyPairProvider.SSH_ED25519;

    /** ssh-agent SIGN_REQUEST flags (draft-miller-ssh-agent 4.5.1): which hash an RSA key signs with. */
    public static final int SSH_AGENT_RSA_SHA2_256 = 0x02;
    public static final int SSH_AGENT_RSA_SHA2_512 = 0x04;

    private final KeyPair keyPair;
    private final Certificate certificate;

    private AgentKey(KeyPair keyPair, Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** A fresh key, waiting for its certificate. A new key for every certificate: nothing is reused. */
    public static Pending generate() throws GeneralSecurityException {
        return new Pending(KeyUtils.generateKeyPair(KEY_TYPE, 256));
    }

    /** A key whose public half is on its way to the CA. */
    public static final class Pending {
        private final KeyPair keyPair;

        private Pending(KeyPair keyPair) {
            this.keyPair = keyPair;
        }

        public String publicKeyLine() {
            return PublicKeyEntry.toString(keyPair.getPublic());
        }

        /** Pairs the key with its certificate, which must certify exactly this key. */
        public AgentKey certify(Certificate certificate) throws GeneralSecurityException {
            if (!KeyUtils.compareKeys(keyPair.getPublic(), certificate.certifiedKey())) {
                throw new GeneralSecurityException("the CA certified another key than the one sent");
            }
            return new AgentKey(keyPair, certificate);
        }

        @Override
        public String toString() {
            return "AgentKey.Pending[" + publicKeyLine() + "]";
        }
    }

    public Certificate certificate() {
        return certificate;
    }

    /** The plain public key blob (string type, string key), as ssh-agent lists a key without certificate. */
    public byte[] publicKeyBlob() {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putRawPublicKey(keyPair.getPublic());
        return buffer.getCompactData();
    }

    /** True when a client names this key, by its certificate blob or its plain public key blob. */
    public boolean answersTo(byte[] blob) {
        return certificate.sameBlob(blob) || Arrays.equals(publicKeyBlob(), blob);
    }

    /** Signs {@code data} as an ssh-agent SIGN_RESPONSE carries it: {@code string algorithm, string signature}. */
    public byte[] sign(byte[] data, int flags) throws Exception {
        String algorithm = signatureAlgorithm(KeyUtils.getKeyType(keyPair.getPublic()), flags);
        BuiltinSignatures factory = BuiltinSignatures.fromFactoryName(algorithm);
        if (factory == null || !factory.isSupported()) {
            throw new GeneralSecurityException("cannot sign with " + algorithm);
        }
        Signature signer = factory.create();
        signer.initSigner(null, keyPair.getPrivate());
        signer.update(null, data);
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putString(algorithm);
        buffer.putBytes(signer.sign(null));
        return buffer.getCompactData();
    }

    /**
     * The signature algorithm for a key type and the request's flags. Only RSA keys have a
     * choice, and their flags pick SHA-2 (never the SHA-1 {@code ssh-rsa} when a flag asks
     * otherwise); every other key type ignores the flags.
     */
    public static String signatureAlgorithm(String keyType, int flags) {
        if (!KeyPairProvider.SSH_RSA.equals(keyType)) {
            return keyType;
        }
        if ((flags & SSH_AGENT_RSA_SHA2_512) != 0) {
            return KeyUtils.RSA_SHA512_KEY_TYPE_ALIAS;
        }
        if ((flags & SSH_AGENT_RSA_SHA2_256) != 0) {
            return KeyUtils.RSA_SHA256_KEY_TYPE_ALIAS;
        }
        return KeyPairProvider.SSH_RSA;
    }

    /**
     * PRIVATE KEY LEAVES HERE, to the user's ssh-agent: an {@code SSH2_AGENTC_ADD_ID_CONSTRAINED}
     * message for this key with its certificate (OpenSSH PROTOCOL.certkeys, draft-miller-ssh-agent
     * 4.2.4 and 4.2.6) and a lifetime constraint. MINA's agent client cannot send Ed25519 keys or
     * certificates, so the message is built here:
     * <pre>
     * byte   SSH2_AGENTC_ADD_ID_CONSTRAINED
     * string "ssh-ed25519-cert-v01@openssh.com"
     * string certificate
     * string ENC(A)          the 32-byte public key
     * string k || ENC(A)     the 32-byte seed and the public key
     * string comment
     * byte   SSH_AGENT_CONSTRAIN_LIFETIME
     * uint32 seconds
     * </pre>
     */
    public byte[] exportPrivateKeyToAgentMessage(String comment, long lifetimeSeconds) throws IOException {
        Ed25519PrivateKeyParameters secret = (Ed25519PrivateKeyParameters) PrivateKeyFactory.createKey(
                keyPair.getPrivate().getEncoded());
        byte[] seed = secret.getEncoded();
        byte[] publicKey = secret.generatePublicKey().getEncoded();
        byte[] both = new byte[64];
        System.arraycopy(seed, 0, both, 0, 32);
        System.arraycopy(publicKey, 0, both, 32, 32);
        try {
            ByteArrayBuffer buffer = new ByteArrayBuffer();
            buffer.putByte(AgentProtocol.SSH2_AGENTC_ADD_ID_CONSTRAINED);
            buffer.putString(certificate.type());
            buffer.putBytes(certificate.blob());
            buffer.putBytes(publicKey);
            buffer.putBytes(both);
            buffer.putString(comment);
            buffer.putByte(AgentProtocol.SSH_AGENT_CONSTRAIN_LIFETIME);
            buffer.putUInt(lifetimeSeconds);
            return buffer.getCompactData();
        } finally {
            Arrays.fill(seed, (byte) 0);
            Arrays.fill(both, (byte) 0);
        }
    }

    /**
     * PRIVATE KEY LEAVES HERE, to disk: the OpenSSH private key file ({@code id_writ}), created
     * with mode 0600. Only for when no ssh-agent takes the key.
     */
    public void exportPrivateKeyToFile(Path file, String comment) throws IOException, GeneralSecurityException {
        Files.deleteIfExists(file);
        try (OutputStream out = Files.newOutputStream(Files.createFile(file,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), StandardOpenOption.WRITE)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(keyPair, comment, null, out);
        }
    }

    @Override
    public String toString() {
        return "AgentKey[" + certificate + "]";
    }
}
