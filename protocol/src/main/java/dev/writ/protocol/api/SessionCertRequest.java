package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * Body of {@code POST /v1/certs/session}: a bastion asks for a one-use certificate to reach a
 * target on behalf of the engineer whose certificate it verified. The CA checks all of it again.
 *
 * @param userCertificate the engineer's certificate, one OpenSSH line, as presented to the bastion
 * @param principal       the one login wanted on the target
 * @param target          the target's name, as policy and host certificates know it
 * @param sessionId       the bastion's id for the session, named in the key id
 * @param publicKey       the fresh key the bastion generated for this session
 * @param targetLabels    the target's labels from the bastion's configuration (policy can match on them)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SessionCertRequest(
        @JsonProperty("user_certificate") String userCertificate,
        @JsonProperty("principal") String principal,
        @JsonProperty("target") String target,
        @JsonProperty("session_id") String sessionId,
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("target_labels") Map<String, String> targetLabels) {

    public SessionCertRequest {
        targetLabels = targetLabels == null ? Map.of() : new TreeMap<>(targetLabels);
    }
}
