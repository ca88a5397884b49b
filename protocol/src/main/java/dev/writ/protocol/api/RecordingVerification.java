package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of {@code GET /v1/recordings/{id}/verify}: the stored file re-read and checked against the
 * digest the bastion signed, and that signature checked with the key the bastion had when it
 * uploaded. A client can repeat both checks itself with the file, {@code signature} and
 * {@code bastion_key}.
 *
 * @param ok           the file is intact and the signature valid
 * @param sha256       the digest stored at upload (the one the bastion signed)
 * @param actualSha256 the digest of the file as it is now; null when it cannot be read
 * @param signature    base64 of the bastion's signature over {@code sha256}
 * @param bastionKey   the bastion's public key, one OpenSSH line
 * @param problem      what is wrong, when not {@code ok}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RecordingVerification(
        @JsonProperty("id") String id,
        @JsonProperty("ok") boolean ok,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("actual_sha256") String actualSha256,
        @JsonProperty("digest_ok") boolean digestOk,
        @JsonProperty("signature_ok") boolean signatureOk,
        @JsonProperty("signature") String signature,
        @JsonProperty("bastion") String bastion,
        @JsonProperty("bastion_key") String bastionKey,
        @JsonProperty("problem") String problem) {
}
