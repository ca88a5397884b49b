package dev.writ.ca.host;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.sign.SigningException;
import dev.writ.ca.store.HostProvenance;
import dev.writ.ca.store.JoinToken;
import dev.writ.ca.store.JoinTokenSpentException;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.policy.HostDecision;
import dev.writ.policy.HostGrant;
import dev.writ.policy.Identity;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.HostCertRequest;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@code POST /v1/certs/host} as a pipeline: parse → authenticate the caller (a verified workload
 * token, or a join token that is unspent, unexpired and names the hostnames) → authorize by the
 * first host rule that matches → decide the lifetime → sign and record (spending the join token
 * in the same transaction) → answer.
 */
public final class HostCertificateService {

    /** Who asks, once authenticated: the identity the host rules see, and the join token to spend (or null). */
    private record Caller(Identity identity, String joinTokenHash) {
    }

    private final Supplier<Policy> policy;
    private final HostSigning signing;
    private final Store store;
    private final Clock clock;

    HostCertificateService(Supplier<Policy> policy, HostSigning signing, Store store, Clock clock) {
        this.policy = policy;
        this.signing = signing;
        this.store = store;
        this.clock = clock;
    }

    public CertificateResponse issue(HostCredential credential, HostCertRequest requested, String clientAddress)
            throws RequestRefused, StoreException, SigningException {
        long started = System.nanoTime();
        Instant now = clock.instant();
        // 1. parse what the client sent (untrusted)
        PublicKey publicKey = HostInput.publicKey(requested.publicKey());
        List<String> hostnames = HostInput.hostnames(requested.hostnames());
        // 2. authenticate: who is asking, as the host rules will see it
        Caller caller = caller(credential, hostnames, now);
        // 3. authorize: the first host rule matching the caller must allow every hostname
        HostDecision decision = policy.get().evaluateHost(caller.identity(), hostnames);
        if (!decision.allowed()) {
            throw RequestRefused.forbidden("policy_denied",
                    "no host certificate for " + caller.identity().name() + ": " + decision.reason());
        }
        HostGrant grant = decision.grant();
        // 4. the lifetime: asked for, or the rule's default; never above the rule's maximum
        Duration ttl = HostInput.ttl(requested.ttl(), grant.defaultTtl(), grant.maxTtl(),
                "host rule '" + grant.rule() + "'");
        // 5. sign and record; a join token is spent in the same transaction, or nothing is issued
        HostProvenance provenance = caller.joinTokenHash() == null
                ? HostProvenance.workload(grant.rule())
                : HostProvenance.joinToken(grant.rule(), caller.joinTokenHash());
        var decided = new HostSigning.Decided(publicKey, caller.identity().name(), caller.identity().issuer(),
                caller.identity().name(), grant.hostnames(), ttl, provenance, clientAddress);
        try {
            return signing.signAndRecord(decided, now, started);
        } catch (JoinTokenSpentException e) {
            throw RequestRefused.unauthorized("join_token_rejected", "join token rejected: already used");
        }
    }

    private Caller caller(HostCredential credential, List<String> hostnames, Instant now)
            throws RequestRefused, StoreException {
        if (credential instanceof HostCredential.Workload workload) {
            return new Caller(Identity.fromClaims(workload.token().issuer(), workload.token().claims()), null);
        }
        HostCredential.JoinTokenSecret joinToken = (HostCredential.JoinTokenSecret) credential;
        String hash = JoinTokens.hash(joinToken.secret());
        JoinToken stored = store.joinToken(hash).orElseThrow(() ->
                RequestRefused.unauthorized("join_token_rejected", "join token rejected: unknown token"));
        if (stored.usedAt() != null) {
            throw RequestRefused.unauthorized("join_token_rejected", "join token rejected: already used");
        }
        if (!now.isBefore(stored.expiresAt())) {
            throw RequestRefused.unauthorized("join_token_rejected", "join token rejected: expired at " + stored.expiresAt());
        }
        for (String hostname : hostnames) {
            if (!stored.hostnames().contains(hostname)) {
                throw RequestRefused.forbidden("join_token_hostname", "hostname " + hostname
                        + " is not named by the join token (it names " + String.join(", ", stored.hostnames()) + ")");
            }
        }
        return new Caller(JoinTokens.identity(hash, stored.createdBy()), hash);
    }
}
