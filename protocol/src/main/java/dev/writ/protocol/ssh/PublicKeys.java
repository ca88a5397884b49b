package dev.writ.protocol.ssh;

import java.security.PublicKey;
import java.security.interfaces.DSAPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * Reads and checks OpenSSH public-key lines: the rules for which keys writ certifies live here
 * so that the CA, the agent and the bastion agree on them.
 */
public final class PublicKeys {

    /** Longest public-key line accepted (an RSA 16384 key is about 2.8 KB). */
    public static final int MAX_LINE_LENGTH = 8192;
    public static final int MIN_RSA_BITS = 2048;

    private PublicKeys() {
    }

    /**
     * Parses one {@code type base64 [comment]} line into a key writ is willing to certify.
     *
     * @throws InvalidKeyException naming what is wrong: garbage, a certificate, DSA, short RSA
     */
    public static PublicKey parseCertifiable(String line) throws InvalidKeyException {
        PublicKey key = parse(line);
        if (key instanceof OpenSshCertificate) {
            throw new InvalidKeyException("public_key is a certificate; send the plain public key");
        }
        if (key instanceof DSAPublicKey) {
            throw new InvalidKeyException("DSA keys are not supported; use Ed25519, ECDSA or RSA of at least "
                    + MIN_RSA_BITS + " bits");
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new InvalidKeyException("RSA key has " + rsa.getModulus().bitLength()
                    + " bits; at least " + MIN_RSA_BITS + " are required");
        }
        return key;
    }

    /** Parses one OpenSSH public-key or certificate line, without judging the key. */
    public static PublicKey parse(String line) throws InvalidKeyException {
        if (line == null || line.isBlank()) {
            throw new InvalidKeyException("public_key is missing");
        }
        if (line.length() > MAX_LINE_LENGTH) {
            throw new InvalidKeyException("public_key is longer than " + MAX_LINE_LENGTH + " characters");
        }
        String trimmed = line.strip();
        if (trimmed.indexOf('\n') >= 0 || trimmed.indexOf('\r') >= 0) {
            throw new InvalidKeyException("public_key must be a single line");
        }
        try {
            PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(trimmed);
            if (entry == null) {
                throw new InvalidKeyException("public_key is not an OpenSSH public key line");
            }
            PublicKey key = entry.resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING);
            if (key == null) {
                throw new InvalidKeyException("public_key has an unsupported key type '" + entry.getKeyType() + "'");
            }
            return key;
        } catch (InvalidKeyException e) {
            throw e;
        } catch (Exception | StackOverflowError e) {
            // MINA throws IllegalArgumentException, IOException, GeneralSecurityException and
            // others for malformed input: every one of them is a refusal, never an error of ours.
            throw new InvalidKeyException("public_key is not a valid OpenSSH public key");
        }
    }

    /** The {@code SHA256:...} fingerprint that {@code ssh-keygen -l} prints. */
    public static String fingerprint(PublicKey key) {
        try {
            byte[] raw = KeyUtils.getRawFingerprint(BuiltinDigests.sha256, key);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(raw);
        } catch (Exception e) {
            throw new IllegalStateException("cannot fingerprint a " + key.getAlgorithm() + " key", e);
        }
    }

    /** One OpenSSH line for a key or certificate, without comment. */
    public static String toLine(PublicKey key) {
        return PublicKeyEntry.toString(key);
    }
}
