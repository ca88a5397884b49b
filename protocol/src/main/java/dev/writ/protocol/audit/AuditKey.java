package dev.writ.protocol.audit;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code GET /v1/audit/key}: the public key that signs the audit checkpoints, one OpenSSH line,
 * and its {@code SHA256:...} fingerprint (what an auditor compares with one obtained out of band).
 */
public record AuditKey(@JsonProperty("key") String key, @JsonProperty("key_id") String keyId) {
}
