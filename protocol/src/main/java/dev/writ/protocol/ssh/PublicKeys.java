package dev.writ.protocol.ssh;

import java.nio.charset.StandardCharsets;
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

    /** Parses one OpenSSH public-key or certificate line, without judging the key; messages call it public_key. */
    public static PublicKey parse(String line) throws InvalidKeyException {
        return parse(line, "public_key");
    }

    /**
     * Parses one OpenSSH public-key or certificate line, without judging the key. The blob must
     * pass {@link StrictSshBlob} (what OpenSSH's own parser refuses, writ refuses) and carry the
     * type the line names, before MINA reads it.
     *
     * @param field what messages call the line: {@code public_key}, {@code user_certificate}, ...
     * @throws InvalidKeyException with {@link InvalidKeyException#malformed()} when the blob breaks
     *                             the encoding rules, its message naming which
     */
    public static PublicKey parse(String line, String field) throws InvalidKeyException {
        if (line == null || line.isBlank()) {
            throw new InvalidKeyException(field + " is missing");
        }
        if (line.length() > MAX_LINE_LENGTH) {
            throw new InvalidKeyException(field + " is longer than " + MAX_LINE_LENGTH + " characters");
        }
        String trimmed = line.strip();
        if (trimmed.indexOf('\n') >= 0 || trimmed.indexOf('\r') >= 0) {
            throw new InvalidKeyException(field + " must be a single line");
        }
        try {
            PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(trimmed);
            if (entry == null) {
                throw new InvalidKeyException(field + " is not an OpenSSH public key line");
            }
            checkStrictly(entry, field);
            PublicKey key = entry.resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING);
            if (key == null) {
                throw new InvalidKeyException(field + " has an unsupported key type '" + entry.getKeyType() + "'");
            }
            return key;
        } catch (InvalidKeyException e) {
            throw e;
        } catch (Exception | StackOverflowError e) {
            // MINA throws IllegalArgumentException, IOException, GeneralSecurityException and
            // others for malformed input: every one of them is a refusal, never an error of ours.
            throw new InvalidKeyException(field + " is not a valid OpenSSH public key");
        }
    }

    /** OpenSSH's rules on the blob, and the line's type name the same as the blob's. */
    private static void checkStrictly(PublicKeyEntry entry, String field) throws InvalidKeyException {
        StrictSshBlob.Shape shape;
        try {
            shape = StrictSshBlob.check(entry.getKeyData() == null ? new byte[0] : entry.getKeyData());
        } catch (MalformedKeyException e) {
            // a blob that merely ends early is a bad paste: answered as before, like any garbage
            throw e.truncated() ? new InvalidKeyException(field + " is not a valid OpenSSH public key")
                    : new InvalidKeyException(field + ": " + e.getMessage(), true);
        }
        if (!shape.type().equals(entry.getKeyType())) {
            throw new InvalidKeyException(field + ": the line says " + SshWireReader.printable(
                    entry.getKeyType().getBytes(StandardCharsets.UTF_8)) + " but the key is " + shape.type(), true);
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
