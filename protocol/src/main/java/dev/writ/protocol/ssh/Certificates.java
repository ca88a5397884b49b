package dev.writ.protocol.ssh;

import java.security.PublicKey;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
    /**
     * The extension saying which role gives which login, {@code engineer=alice;prod-admin=root}
     * (roles in the order of {@link #ROLES_EXTENSION}, logins sorted), so that the bastion and the
     * CA let one role decide a session: its login and its target, never one role's login on another
     * role's target.
     */
    public static final String LOGINS_EXTENSION = "logins@writ";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");
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

    /** The value of {@link #LOGINS_EXTENSION} for these roles and their logins. */
    public static String encodeLogins(Map<String, ? extends Collection<String>> loginsByRole) {
        return loginsByRole.entrySet().stream()
                .map(e -> e.getKey() + "=" + String.join(",", new TreeSet<>(e.getValue())))
                .collect(Collectors.joining(";"));
    }

    /** Whether the certificate says which role gives which login (those issued before the one-role rule do not). */
    public static boolean hasLoginsByRole(OpenSshCertificate certificate) {
        return certificate.getExtensionsMap().containsKey(LOGINS_EXTENSION);
    }

    /**
     * Which role gives which of the certificate's logins, from {@link #LOGINS_EXTENSION}; only
     * logins that are principals of the certificate count. A certificate without the extension
     * and with one role: that role gives every principal; with several: nothing is known, empty.
     * A malformed value gives nothing.
     */
    public static Map<String, List<String>> loginsByRole(OpenSshCertificate certificate) {
        List<String> principals = List.copyOf(certificate.getPrincipals());
        String value = certificate.getExtensionsMap().get(LOGINS_EXTENSION);
        if (value == null) {
            List<String> roles = roles(certificate);
            return roles.size() == 1 ? Map.of(roles.get(0), principals) : Map.of();
        }
        Map<String, List<String>> logins = new LinkedHashMap<>();
        for (String entry : value.split(";", -1)) {
            int eq = entry.indexOf('=');
            String role = eq < 0 ? "" : entry.substring(0, eq);
            List<String> names = eq < 0 ? List.of() : List.of(entry.substring(eq + 1).split(",", -1));
            if (!NAME.matcher(role).matches() || logins.containsKey(role)
                    || names.stream().anyMatch(name -> !NAME.matcher(name).matches())) {
                return Map.of();
            }
            logins.put(role, names.stream().filter(principals::contains).toList());
        }
        return logins;
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
