package dev.writ.ca.session;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.sign.CertificateSigner;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.policy.PolicyReloader;
import dev.writ.protocol.api.PolicyFiles;
import java.io.IOException;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * What the CA offers bastions, built once from the config: who they are (their assertions),
 * session and host certificates, audit events, the revocation list, the policy files, and the
 * sessions open at the bastions (with the sync that tells bastions what changed).
 */
public record BastionServices(BastionAssertions assertions, SessionCertificateService sessionCertificates,
                              BastionHostCertificateService hostCertificates, BastionAudit audit,
                              Revocations revocations, Supplier<PolicyFiles> policyFiles, LiveSessions liveSessions)
        implements AutoCloseable {

    public static BastionServices create(CaConfig config, CaKeyRing keys, Store store, Revocations revocations, PolicyReloader policy,
                                         CertificateSigner signer, CaMetrics metrics, Clock clock) throws IOException {
        var presented = new PresentedCertificates(keys, store, revocations, clock);
        ReplicaEvents replicas = new ReplicaEvents(store.clusterEvents(), clock);
        LiveSessions live = new LiveSessions(() -> krlVersion(revocations), store, clock, replicas);
        try {
            replicas.start(live::applyReplicaEvent);
        } catch (StoreException e) {
            live.close();
            throw new IOException("cannot read what the other CA replicas said: " + e.getMessage(), e);
        }
        return new BastionServices(new BastionAssertions(config.bastions(), clock, store.assertionIds()),
                new SessionCertificateService(presented, policy, signer, store, clock, metrics),
                new BastionHostCertificateService(signer, store, clock, metrics),
                new BastionAudit(store, live, clock), revocations, policy::files, live);
    }

    private static long krlVersion(Revocations revocations) {
        try {
            return revocations.krl().version();
        } catch (StoreException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        liveSessions.close();
        revocations.close();
    }
}
