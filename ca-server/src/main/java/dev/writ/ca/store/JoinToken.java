package dev.writ.ca.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A join token as stored: never the secret, only its SHA-256.
 *
 * @param hash       hex SHA-256 of the secret
 * @param hostnames  the exact hostnames it may be spent on
 * @param createdBy  the admin who created it
 * @param usedAt     when it was spent, or null
 * @param usedSerial the certificate it was spent on, or null
 */
public record JoinToken(String hash, List<String> hostnames, String createdBy, Instant createdAt, Instant expiresAt,
                        Instant usedAt, Long usedSerial) {

    public JoinToken {
        Objects.requireNonNull(hash, "hash");
        hostnames = List.copyOf(hostnames);
        Objects.requireNonNull(createdBy, "createdBy");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
