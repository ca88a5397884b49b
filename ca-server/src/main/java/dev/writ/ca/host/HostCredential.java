package dev.writ.ca.host;

import dev.writ.ca.token.VerifiedToken;
import java.util.Objects;

/** What a caller of {@code POST /v1/certs/host} presented, as checked so far by the HTTP layer. */
public sealed interface HostCredential {

    /** A workload (CI) OIDC token, already verified like any ID token: issuer, signature, audience, times. */
    record Workload(VerifiedToken token) implements HostCredential {
        public Workload {
            Objects.requireNonNull(token, "token");
        }
    }

    /**
     * A join token as sent: not yet known to be valid. {@link HostCertificateService} looks it
     * up by hash and spends it in the transaction that records the certificate.
     */
    record JoinTokenSecret(String secret) implements HostCredential {
        public JoinTokenSecret {
            Objects.requireNonNull(secret, "secret");
        }

        /** The non-secret id of the token, for logs and audit events. */
        public String id() {
            return JoinTokens.id(JoinTokens.hash(secret));
        }

        @Override
        public String toString() {
            return "JoinTokenSecret[id=" + id() + "]";
        }
    }
}
