package dev.writ.ca.keys;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.security.SecurityUtils;

/** A CA key read from an OpenSSH private-key file, held in this process's memory. */
public final class FileCaSigner implements CaSigner {

    private final KeyPair pair;
    private final String location;

    public FileCaSigner(KeyPair pair, String location) {
        this.pair = pair;
        this.location = location;
    }

    /** Signs what {@code builder} holds with this key: MINA's builder is the one place a file key is handed over. */
    public static OpenSshCertificate certify(OpenSshCertificateBuilder builder, FileCaSigner signer) throws Exception {
        return builder.sign(signer.pair, sshAlgorithm(signer.pair.getPublic()));
    }

    @Override
    public PublicKey publicKey() {
        return pair.getPublic();
    }

    /** RSA CAs sign with rsa-sha2-512, never the SHA-1 ssh-rsa; other key types have one algorithm. */
    static String sshAlgorithm(PublicKey key) {
        String type = KeyUtils.getKeyType(key);
        return KeyPairProvider.SSH_RSA.equals(type) ? KeyUtils.RSA_SHA512_KEY_TYPE_ALIAS : type;
    }

    @Override
    public byte[] sshSignature(byte[] data) throws GeneralSecurityException {
        String algorithm = sshAlgorithm(pair.getPublic());
        NamedFactory<Signature> factory = BuiltinSignatures.fromFactoryName(algorithm);
        if (factory == null) {
            throw new GeneralSecurityException("no signature algorithm " + algorithm);
        }
        Signature signer = factory.create();
        try {
            signer.initSigner(null, pair.getPrivate());
            signer.update(null, data);
            ByteArrayBuffer blob = new ByteArrayBuffer();
            blob.putString(algorithm);
            blob.putBytes(signer.sign(null));
            return blob.getCompactData();
        } catch (GeneralSecurityException e) {
            throw e;
        } catch (Exception e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    @Override
    public byte[] sign(byte[] data) throws GeneralSecurityException {
        java.security.Signature signature = SecurityUtils.getSignature(jcaAlgorithm());
        signature.initSign(pair.getPrivate());
        signature.update(data);
        return signature.sign();
    }

    @Override
    public String jcaAlgorithm() {
        return jcaAlgorithm(pair.getPublic());
    }

    static String jcaAlgorithm(PublicKey key) {
        return switch (KeyUtils.getKeyType(key)) {
            case KeyPairProvider.SSH_ED25519 -> "Ed25519";
            case "ecdsa-sha2-nistp256" -> "SHA256withECDSA";
            case "ecdsa-sha2-nistp384" -> "SHA384withECDSA";
            case "ecdsa-sha2-nistp521" -> "SHA512withECDSA";
            default -> "SHA512withRSA";
        };
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public String toString() {
        return "FileCaSigner[" + location + "]";
    }
}
