package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of {@code POST /v1/revocations} (admins only): exactly one of what to revoke, and why.
 *
 * @param serial    a certificate serial this CA issued, unsigned decimal
 * @param keyId     a certificate key id: every certificate carrying it, now and later
 * @param publicKey an OpenSSH public key line (or a certificate line, meaning its key): the key,
 *                  plain or certified, by its SHA-256 fingerprint
 * @param identity  an identity (email): every certificate issued to it that has not expired, by serial
 * @param grant     an access grant (the access request's id): the certificates that carry it, by
 *                  serial; an active grant ends
 * @param reason    why, for the audit log; required
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NewRevocation(
        @JsonProperty("serial") String serial,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("identity") String identity,
        @JsonProperty("grant") String grant,
        @JsonProperty("reason") String reason) {

    public static NewRevocation serial(String serial, String reason) {
        return new NewRevocation(serial, null, null, null, null, reason);
    }

    public static NewRevocation keyId(String keyId, String reason) {
        return new NewRevocation(null, keyId, null, null, null, reason);
    }

    public static NewRevocation publicKey(String publicKey, String reason) {
        return new NewRevocation(null, null, publicKey, null, null, reason);
    }

    public static NewRevocation identity(String identity, String reason) {
        return new NewRevocation(null, null, null, identity, null, reason);
    }

    public static NewRevocation grant(String grant, String reason) {
        return new NewRevocation(null, null, null, null, grant, reason);
    }
}
