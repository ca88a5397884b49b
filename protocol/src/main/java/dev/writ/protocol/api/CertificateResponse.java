package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What the CA answers when it issued a certificate.
 *
 * @param certificate one OpenSSH certificate line ({@code ssh-ed25519-cert-v01@openssh.com AAAA...})
 * @param serial      the certificate serial, unsigned decimal (a string: it does not fit a JSON number)
 * @param validBefore end of validity, RFC 3339
 * @param principals  the principals in the certificate
 */
public record CertificateResponse(
        @JsonProperty("certificate") String certificate,
        @JsonProperty("serial") String serial,
        @JsonProperty("valid_before") String validBefore,
        @JsonProperty("principals") List<String> principals) {

    public CertificateResponse {
        principals = List.copyOf(principals);
    }
}
