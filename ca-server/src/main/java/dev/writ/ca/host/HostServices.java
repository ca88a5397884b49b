package dev.writ.ca.host;

import dev.writ.ca.keys.CaKey;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.sign.CertificateSigner;
import dev.writ.ca.store.Store;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import java.time.Clock;

/** The services behind the host endpoints, built together because they share the signing and recording step. */
public record HostServices(HostCertificateService certificates, HostRenewalService renewals, JoinTokenService joinTokens) {

    public static HostServices create(Supplier<Policy> policy, CertificateSigner signer, CaKey hostCa, Store store, Clock clock,
                                      CaMetrics metrics) {
        HostSigning signing = new HostSigning(signer, store, metrics);
        return new HostServices(
                new HostCertificateService(policy, signing, store, clock),
                new HostRenewalService(policy, new RenewalProofVerifier(hostCa, store), signing, clock),
                new JoinTokenService(policy, store, clock));
    }
}
