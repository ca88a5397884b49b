package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The answer of {@code POST /v1/revocations}: what the KRL now revokes because of the request.
 * Times are RFC 3339. Revoking what was revoked already is not an error: {@code added} is then 0
 * and the KRL's version does not change.
 *
 * @param kind           what was asked: {@code serial}, {@code key_id}, {@code public_key},
 *                       {@code identity} or {@code grant}
 * @param serials        the serials revoked (kinds serial, identity, grant), unsigned decimal
 * @param keyId          the key id revoked (kind key_id)
 * @param keyFingerprint the {@code SHA256:} fingerprint of the key revoked (kind public_key)
 * @param identity       the identity whose certificates were revoked (kind identity)
 * @param certificates   the certificates this CA issued that are revoked by it and have not expired
 * @param grant          the grant's id (kind grant)
 * @param grantEnded     whether this request ended the grant (false: it had ended already)
 * @param added          how many entries the KRL gained
 * @param krlVersion     the KRL's version once this was recorded (the next {@code GET /v1/krl})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RevocationResult(
        @JsonProperty("kind") String kind,
        @JsonProperty("reason") String reason,
        @JsonProperty("revoked_by") String revokedBy,
        @JsonProperty("revoked_at") String revokedAt,
        @JsonProperty("serials") List<String> serials,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("key_fingerprint") String keyFingerprint,
        @JsonProperty("identity") String identity,
        @JsonProperty("certificates") List<Certificate> certificates,
        @JsonProperty("grant") String grant,
        @JsonProperty("grant_ended") Boolean grantEnded,
        @JsonProperty("added") int added,
        @JsonProperty("krl_version") long krlVersion) {

    public RevocationResult {
        serials = serials == null ? null : List.copyOf(serials);
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
    }

    /** A certificate the revocation covers, as the CA recorded it when it issued it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Certificate(
            @JsonProperty("serial") String serial,
            @JsonProperty("kind") String kind,
            @JsonProperty("key_id") String keyId,
            @JsonProperty("identity") String identity,
            @JsonProperty("principals") List<String> principals,
            @JsonProperty("valid_before") String validBefore) {

        public Certificate {
            principals = principals == null ? List.of() : List.copyOf(principals);
        }
    }
}
