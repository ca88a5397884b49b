package dev.writ.agent.oidc;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The answer of the device authorization endpoint (RFC 8628 section 3.2).
 *
 * @param interval seconds to wait between polls; 5 when the provider does not say (section 3.5)
 */
public record DeviceAuthorization(
        @JsonProperty("device_code") String deviceCode,
        @JsonProperty("user_code") String userCode,
        @JsonProperty("verification_uri") String verificationUri,
        @JsonProperty("verification_uri_complete") String verificationUriComplete,
        @JsonProperty("expires_in") long expiresIn,
        @JsonProperty("interval") Long interval) {

    public DeviceAuthorization {
        interval = interval == null || interval <= 0 ? 5 : interval;
    }

    @Override
    public String toString() {
        return "DeviceAuthorization[user_code=" + userCode + ", verification_uri=" + verificationUri + "]";
    }
}
