package dev.writ.protocol.ssh;

import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;

/**
 * Checks on OpenSSH certificates that the CA and the bastion both make, so that they agree:
 * who signed it, with which algorithm, and when it is valid.
 */
public final class Certificates {

    /** The critical options writ understands; a certificate with any other must be refused. */
    public static final Set<String> KNOWN_CRITICAL_OPTIONS = Set.of("force-command", "source-address");
    /** The extension naming the roles behind a certificate. */
    public static final String ROLES_EXTENSION = "roles@writ";
    private static final String SHA1_RSA = "ssh-rsa";

    private Certificates() {
    }

    /**
     * Whether one of {@code trusted} signed the certificate, with a signature algorithm that
     * matches that key and is not the SHA-1 {@code ssh-rsa}. Not "a" CA: one of ours.
     */
    public static boolean signedBy(OpenSshCertificate certificate, List<PublicKey> trusted) {
        PublicKey ca = certificate.getCaPubKey();
        if (ca == null || trusted.stream().noneMatch(key -> KeyUtils.compareKeys(key, ca))) {
            return false;
        }
        String algorithm = certificate.getSignatureAlgorithm();
        if (algorithm == null || SHA1_RSA.equals(algorithm)
                || !KeyUtils.getKeyType(ca).equals(KeyUtils.getCanonicalKeyType(algorithm))) {
            return false;
        }
        BuiltinSignatures factory = BuiltinSignatures.fromFactoryName(algorithm);
        if (factory == null || !factory.isSupported()) {
            return false;
        }
        try {
            Signature verifier = factory.create();
            verifier.initVerifier(null, ca);
            verifier.update(null, certificate.getMessage());
            return verifier.verify(null, certificate.getSignature());
        } catch (Exception e) {
            return false; // a signature that cannot be checked is not a valid one
        }
    }

    /** Whether the signature algorithm is the SHA-1 {@code ssh-rsa}, which writ never accepts. */
    public static boolean isSha1Rsa(OpenSshCertificate certificate) {
        return SHA1_RSA.equals(certificate.getSignatureAlgorithm());
    }

    /** Not valid yet at {@code now} (valid_after is compared unsigned, as OpenSSH does). */
    public static boolean notYetValid(OpenSshCertificate certificate, Instant now) {
        return Long.compareUnsigned(certificate.getValidAfter(), now.getEpochSecond()) > 0;
    }

    /** No longer valid at {@code now}. */
    public static boolean expired(OpenSshCertificate certificate, Instant now) {
        return Long.compareUnsigned(now.getEpochSecond(), certificate.getValidBefore()) >= 0;
    }

    /** The end of validity; {@link Instant#MAX} for OpenSSH's "forever". */
    public static Instant validBefore(OpenSshCertificate certificate) {
        long seconds = certificate.getValidBefore();
        return seconds < 0 || seconds > Instant.MAX.getEpochSecond() ? Instant.MAX : Instant.ofEpochSecond(seconds);
    }

    /** The roles named in {@code roles@writ}, empty when absent. */
    public static List<String> roles(OpenSshCertificate certificate) {
        String value = certificate.getExtensionsMap().get(ROLES_EXTENSION);
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return List.of(value.split(","));
    }
}
