package dev.writ.ca.store;

import java.time.Instant;
import java.util.List;

/** The record of one signed certificate. */
public record IssuedCertificate(long serial, String kind, String keyId, List<String> principals, Instant validAfter,
                                Instant validBefore, String keyFingerprint, String identity, String issuer,
                                String clientAddress, List<String> roles, Instant issuedAt) {

    public IssuedCertificate {
        principals = List.copyOf(principals);
        roles = List.copyOf(roles);
    }
}
