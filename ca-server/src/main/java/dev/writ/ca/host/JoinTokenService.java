package dev.writ.ca.host;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.JoinToken;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.token.VerifiedToken;
import dev.writ.policy.HostDecision;
import dev.writ.policy.Identity;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.protocol.api.JoinTokenRequest;
import dev.writ.protocol.api.JoinTokenResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/join-tokens}: an admin (checked by the route) creates a one-time token for
 * named hostnames. Pipeline: parse → check that a host rule would let such a token have those
 * names → store its hash with an audit event → show the secret once.
 */
public final class JoinTokenService {

    /** How long a join token lives when the admin does not say. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(30);
    /** A join token is for a machine being set up now, not a standing credential. */
    public static final Duration MAX_TTL = Duration.ofHours(24);

    private final Supplier<Policy> policy;
    private final Store store;
    private final Clock clock;

    JoinTokenService(Supplier<Policy> policy, Store store, Clock clock) {
        this.policy = policy;
        this.store = store;
        this.clock = clock;
    }

    public JoinTokenResponse create(VerifiedToken adminToken, JoinTokenRequest requested, String clientAddress)
            throws RequestRefused, StoreException {
        Instant now = clock.instant();
        // 1. parse what the admin sent
        List<String> hostnames = HostInput.hostnames(requested.hostnames());
        Duration ttl = HostInput.ttl(requested.ttl(), DEFAULT_TTL, MAX_TTL, "join tokens");
        // 2. a token that no host rule would honour is refused now, not when the machine spends it
        Identity admin = Identity.fromClaims(adminToken.issuer(), adminToken.claims());
        String secret = JoinTokens.generate();
        String hash = JoinTokens.hash(secret);
        Identity joiner = JoinTokens.identity(hash, admin.name());
        HostDecision decision = policy.get().evaluateHost(joiner, hostnames);
        if (!decision.allowed()) {
            boolean noRule = policy.get().hostRules().stream().noneMatch(rule -> rule.match().matches(joiner));
            throw RequestRefused.forbidden("policy_denied", "no join token for " + String.join(", ", hostnames) + ": "
                    + decision.reason() + (noRule ? " (join tokens are matched as issuer " + JoinTokens.ISSUER + ")" : ""));
        }
        // 3. keep only the hash, with who made it, for which names, until when
        JoinToken token = new JoinToken(hash, hostnames, admin.name(), now, now.plus(ttl), null, null);
        store.createJoinToken(token, createdEvent(token, decision.grant().rule(), admin, clientAddress));
        // 4. the secret leaves once, here
        return new JoinTokenResponse(secret, token.expiresAt().toString());
    }

    private static AuditEvent createdEvent(JoinToken token, String rule, Identity admin, String clientAddress) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("join_token", JoinTokens.id(token.hash()));
        details.put("hostnames", token.hostnames());
        details.put("rule", rule);
        details.put("expires_at", token.expiresAt().toString());
        details.put("issuer", admin.issuer());
        return new AuditEvent(token.createdAt(), "join_token.created", admin.name(), AuditEvent.Outcome.ok,
                clientAddress, details);
    }
}
