package dev.writ.ca.sign;

import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything that goes into one certificate, already decided by policy. The compact constructor
 * holds the profile's invariants, so no code path can sign a certificate that breaks them.
 */
public record CertificateRequest(
        Kind kind,
        long serial,
        PublicKey publicKey,
        String keyId,
        List<String> principals,
        Instant validAfter,
        Instant validBefore,
        SortedMap<String, String> criticalOptions,
        SortedMap<String, String> extensions) {

    /** Which CA signs: engineers' certificates, the bastion's one-session certificates, or hosts'. */
    public enum Kind { USER, SESSION, HOST }

    public CertificateRequest {
        if (serial == 0) {
            throw new IllegalArgumentException("serial must not be zero");
        }
        if (publicKey == null || keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("public key and key id are required");
        }
        if (principals == null || principals.isEmpty()) {
            throw new IllegalArgumentException("a certificate must name at least one principal");
        }
        for (String principal : principals) {
            if (principal.isBlank() || principal.contains("*") || principal.contains("?") || principal.contains(",")) {
                throw new IllegalArgumentException("principal '" + principal + "' is not allowed in a certificate");
            }
        }
        if (!validBefore.isAfter(validAfter)) {
            throw new IllegalArgumentException("valid_before must be after valid_after");
        }
        if (kind == Kind.HOST && (!criticalOptions.isEmpty() || !extensions.isEmpty())) {
            throw new IllegalArgumentException("host certificates carry no critical options or extensions");
        }
        principals = List.copyOf(principals);
        criticalOptions = new TreeMap<>(criticalOptions);
        extensions = new TreeMap<>(extensions);
    }

    public static SortedMap<String, String> sorted(Map<String, String> map) {
        return new TreeMap<>(map);
    }
}
