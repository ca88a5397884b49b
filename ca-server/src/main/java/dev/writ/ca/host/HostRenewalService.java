package dev.writ.ca.host;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.sign.SigningException;
import dev.writ.ca.store.HostProvenance;
import dev.writ.ca.store.StoreException;
import dev.writ.policy.HostRule;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.HostRenewRequest;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code POST /v1/certs/host/renew} as a pipeline: verify the proof of possession → the key to
 * certify (the current one, or a new one the proof names) → the hostnames (the same or fewer,
 * never more) → the rule that issued the first certificate, which must still exist and allow
 * them → its lifetime → sign and record → answer. Renewal never widens what a host may present.
 */
public final class HostRenewalService {

    private final Supplier<Policy> policy;
    private final RenewalProofVerifier proofs;
    private final HostSigning signing;
    private final Clock clock;

    HostRenewalService(Supplier<Policy> policy, RenewalProofVerifier proofs, HostSigning signing, Clock clock) {
        this.policy = policy;
        this.proofs = proofs;
        this.signing = signing;
        this.clock = clock;
    }

    public CertificateResponse renew(HostRenewRequest requested, String clientAddress)
            throws RequestRefused, StoreException, SigningException {
        long started = System.nanoTime();
        Instant now = clock.instant();
        // 1. authenticate: the caller holds the key of a valid, unrevoked host certificate of ours
        RenewalProofVerifier.Proven proven = proofs.verify(requested.proof(), now);
        String serial = Serials.format(proven.certificate().getSerial());
        // 2. the key: the current one, or a new one that the signed proof names as well
        PublicKey publicKey = publicKey(requested.publicKey(), proven);
        // 3. the hostnames: the same or fewer
        List<String> current = List.copyOf(proven.certificate().getPrincipals());
        List<String> hostnames = requested.hostnames() == null ? current : HostInput.hostnames(requested.hostnames());
        List<String> added = new ArrayList<>(hostnames);
        added.removeAll(current);
        if (!added.isEmpty()) {
            throw RequestRefused.forbidden("renewal_widens", "renewal cannot add hostnames: " + String.join(", ", added)
                    + " (certificate " + serial + " names " + String.join(", ", current) + ")");
        }
        // 4. the rule that issued the first certificate decides, as the policy says it today
        HostProvenance provenance = proven.provenance();
        HostRule rule = policy.get().hostRules().stream().filter(r -> r.name().equals(provenance.rule())).findFirst()
                .orElseThrow(() -> RequestRefused.forbidden("policy_denied", "host rule '" + provenance.rule()
                        + "' that issued certificate " + serial + " no longer exists; bootstrap the host again"));
        for (String hostname : hostnames) {
            if (!rule.allows(hostname)) {
                throw RequestRefused.forbidden("policy_denied", "hostname " + hostname
                        + " is no longer allowed for rule '" + rule.name() + "'");
            }
        }
        Duration ttl = HostInput.ttl(requested.ttl(), rule.defaultTtl(), rule.maxTtl(), "host rule '" + rule.name() + "'");
        // 5. sign and record, keeping the identity that first proved itself as key id
        String keyId = proven.issued().keyId();
        var decided = new HostSigning.Decided(publicKey, keyId, proven.issued().issuer(), "host " + keyId, hostnames, ttl,
                HostProvenance.renewal(rule.name(), proven.certificate().getSerial()), clientAddress);
        return signing.signAndRecord(decided, now, started);
    }

    private static PublicKey publicKey(String requestedKey, RenewalProofVerifier.Proven proven) throws RequestRefused {
        if (requestedKey == null && proven.proofPublicKey() == null) {
            return proven.certificate().getCertPubKey();
        }
        if (requestedKey == null || proven.proofPublicKey() == null) {
            throw RequestRefused.unauthorized("proof_rejected", "renewal proof rejected: a new public_key must be"
                    + " named both in the request and in the proof");
        }
        PublicKey key = HostInput.publicKey(requestedKey);
        PublicKey named = HostInput.publicKey(proven.proofPublicKey());
        if (!Objects.equals(PublicKeys.fingerprint(key), PublicKeys.fingerprint(named))) {
            throw RequestRefused.unauthorized("proof_rejected",
                    "renewal proof rejected: the proof names another public_key than the request");
        }
        return key;
    }
}
