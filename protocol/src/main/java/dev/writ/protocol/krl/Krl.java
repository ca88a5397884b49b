package dev.writ.protocol.krl;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * An OpenSSH key revocation list (KRL, OpenSSH's {@code PROTOCOL.krl}), the subset writ uses:
 * certificates revoked by serial or key id under a CA key, and keys revoked by SHA-256
 * fingerprint. The same bytes serve {@code sshd}'s {@code RevokedKeys} and the bastion.
 *
 * @param version            increases with every change, so a reader can tell a newer list
 * @param generatedAt        when the CA produced it (whole seconds)
 * @param comment            free text
 * @param certificates       per CA key: the serials and key ids revoked
 * @param sha256Fingerprints {@code SHA256:...} fingerprints of revoked keys (plain or certified)
 */
public record Krl(long version, Instant generatedAt, String comment, List<CertificateRevocations> certificates,
                  Set<String> sha256Fingerprints) {

    static final byte[] MAGIC = "SSHKRL\n\0".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 1;
    static final int SECTION_CERTIFICATES = 1;
    static final int SECTION_EXPLICIT_KEY = 2;
    static final int SECTION_FINGERPRINT_SHA1 = 3;
    static final int SECTION_SIGNATURE = 4;
    static final int SECTION_FINGERPRINT_SHA256 = 5;
    static final int CERT_SERIAL_LIST = 0x20;
    static final int CERT_SERIAL_RANGE = 0x21;
    static final int CERT_SERIAL_BITMAP = 0x22;
    static final int CERT_KEY_ID = 0x23;

    public Krl {
        if (generatedAt == null || comment == null) {
            throw new IllegalArgumentException("generatedAt and comment are required");
        }
        generatedAt = Instant.ofEpochSecond(generatedAt.getEpochSecond());
        certificates = List.copyOf(certificates);
        sha256Fingerprints = Collections.unmodifiableSet(new TreeSet<>(sha256Fingerprints));
    }

    /**
     * What is revoked among the certificates one CA signed.
     *
     * @param ca      the CA key; null means "any CA" (OpenSSH allows that for key ids only)
     * @param serials revoked serials, compared unsigned like OpenSSH does
     * @param keyIds  revoked key ids
     */
    public record CertificateRevocations(PublicKey ca, SortedSet<Long> serials, SortedSet<String> keyIds) {
        public CertificateRevocations {
            TreeSet<Long> sortedSerials = new TreeSet<>(Long::compareUnsigned);
            sortedSerials.addAll(serials);
            if (sortedSerials.contains(0L)) {
                throw new IllegalArgumentException("serial 0 cannot be revoked");
            }
            if (ca == null && !sortedSerials.isEmpty()) {
                throw new IllegalArgumentException("serials can only be revoked under a named CA key");
            }
            serials = Collections.unmodifiableSortedSet(sortedSerials);
            keyIds = Collections.unmodifiableSortedSet(new TreeSet<>(keyIds));
        }

        boolean appliesTo(PublicKey signer) {
            return ca == null || KeyUtils.compareKeys(ca, signer);
        }
    }

    /** Whether this list revokes the certificate: by serial or key id under its CA, or by the fingerprint of its key or its CA's key. */
    public boolean revokes(OpenSshCertificate certificate) {
        for (CertificateRevocations section : certificates) {
            if (section.appliesTo(certificate.getCaPubKey())
                    && (section.serials().contains(certificate.getSerial()) || section.keyIds().contains(certificate.getId()))) {
                return true;
            }
        }
        return revokesKey(certificate.getCertPubKey()) || revokesKey(certificate.getCaPubKey());
    }

    /** Whether this list revokes the plain key by its fingerprint. */
    public boolean revokesKey(PublicKey key) {
        return sha256Fingerprints.contains(fingerprint(key));
    }

    /** The binary form of {@code PROTOCOL.krl}, unsigned. */
    public byte[] encode() {
        ByteArrayBuffer out = new ByteArrayBuffer();
        out.putRawBytes(MAGIC);
        out.putUInt(FORMAT_VERSION);
        out.putLong(version);
        out.putLong(generatedAt.getEpochSecond());
        out.putLong(0); // flags
        out.putString("");  // reserved
        out.putString(comment);
        for (CertificateRevocations section : certificates) {
            ByteArrayBuffer body = new ByteArrayBuffer();
            if (section.ca() == null) {
                body.putBytes(new byte[0]);
            } else {
                body.putPublicKey(section.ca());
            }
            body.putString(""); // reserved
            if (!section.serials().isEmpty()) {
                ByteArrayBuffer serials = new ByteArrayBuffer();
                section.serials().forEach(serials::putLong);
                putSection(body, CERT_SERIAL_LIST, serials);
            }
            if (!section.keyIds().isEmpty()) {
                ByteArrayBuffer keyIds = new ByteArrayBuffer();
                section.keyIds().forEach(keyIds::putString);
                putSection(body, CERT_KEY_ID, keyIds);
            }
            putSection(out, SECTION_CERTIFICATES, body);
        }
        if (!sha256Fingerprints.isEmpty()) {
            ByteArrayBuffer hashes = new ByteArrayBuffer();
            // OpenSSH keeps these in a tree ordered by the raw bytes; the order does not matter to readers
            sha256Fingerprints.stream().map(Krl::rawFingerprint).sorted(Arrays::compareUnsigned).forEach(hashes::putBytes);
            putSection(out, SECTION_FINGERPRINT_SHA256, hashes);
        }
        return out.getCompactData();
    }

    /** Parses a KRL; anything malformed, unsupported or signed is a {@link KrlFormatException}. */
    public static Krl decode(byte[] bytes) throws KrlFormatException {
        try {
            return KrlDecoder.decode(new ByteArrayBuffer(bytes));
        } catch (KrlFormatException e) {
            throw e;
        } catch (RuntimeException | java.io.IOException | java.security.GeneralSecurityException e) {
            throw new KrlFormatException("malformed KRL: " + e.getClass().getSimpleName());
        }
    }

    /** {@code SHA256:base64} without padding, as {@code ssh-keygen -l} prints it. */
    public static String fingerprint(PublicKey key) {
        try {
            byte[] raw = KeyUtils.getRawFingerprint(BuiltinDigests.sha256, key);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(raw);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot fingerprint a " + key.getAlgorithm() + " key", e);
        }
    }

    static byte[] rawFingerprint(String fingerprint) {
        if (!fingerprint.startsWith("SHA256:")) {
            throw new IllegalArgumentException("not a SHA256 fingerprint: " + fingerprint);
        }
        byte[] raw = Base64.getDecoder().decode(fingerprint.substring("SHA256:".length()));
        if (raw.length != 32) {
            throw new IllegalArgumentException("a SHA256 fingerprint has 32 bytes, not " + raw.length);
        }
        return raw;
    }

    private static void putSection(Buffer out, int type, Buffer body) {
        out.putByte((byte) type);
        out.putBytes(body.getCompactData());
    }
}
