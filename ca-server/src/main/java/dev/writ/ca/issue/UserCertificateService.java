package dev.writ.ca.issue;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.access.ActiveGrants;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.sign.CertificateRequest;
import dev.writ.ca.sign.CertificateSigner;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.sign.SignedCertificate;
import dev.writ.ca.sign.SigningException;
import dev.writ.ca.store.AccessConflict;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.SerialConflictException;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.token.VerifiedToken;
import dev.writ.policy.Durations;
import dev.writ.policy.Identity;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.policy.UserDecision;
import dev.writ.policy.UserGrant;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.UserCertRequest;
import dev.writ.protocol.ssh.Certificates;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code POST /v1/certs/user} as a pipeline: parse → authorize (standing roles plus the roles of
 * active access grants) → decide validity and principals → sign → record durably → answer.
 * Nothing leaves before the audit record is committed.
 */
public final class UserCertificateService {

    /** Certificates are valid from one minute before issuance, for clients whose clock is behind. */
    public static final Duration BACKDATE = Duration.ofMinutes(1);
    /** The extension naming the roles behind a certificate. */
    public static final String ROLES_EXTENSION = "roles@writ";
    private static final int SIGNING_ATTEMPTS = 3;

    private final Supplier<Policy> policy;
    private final CertificateSigner signer;
    private final Store store;
    private final Clock clock;
    private final CaMetrics metrics;
    private final ActiveGrants activeGrants;
    private final RevokedAtIssuance revoked;
    private final Serials serials = new Serials();

    /** Whether a certificate with this key id, or for this key, would be revoked the moment it was issued. */
    @FunctionalInterface
    public interface RevokedAtIssuance {
        RevokedAtIssuance NONE = (keyId, key) -> false;

        boolean revokes(String keyId, PublicKey key) throws StoreException;
    }

    public UserCertificateService(Supplier<Policy> policy, CertificateSigner signer, Store store, Clock clock, CaMetrics metrics,
                                  ActiveGrants activeGrants, RevokedAtIssuance revoked) {
        this.revoked = revoked;
        this.policy = policy;
        this.signer = signer;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.activeGrants = activeGrants;
    }

    public UserCertificateService(Supplier<Policy> policy, CertificateSigner signer, Store store, Clock clock, CaMetrics metrics) {
        this(policy, signer, store, clock, metrics, ActiveGrants.NONE, RevokedAtIssuance.NONE);
    }

    public CertificateResponse issue(VerifiedToken token, UserCertRequest requested, String clientAddress)
            throws RequestRefused, StoreException, SigningException {
        long started = System.nanoTime();
        // 1. parse what the client sent (untrusted)
        PublicKey publicKey = parseKey(requested.publicKey());
        // 2. authorize: the token proved the identity; the policy decides what its roles and grants give
        Identity identity = Identity.fromClaims(token.issuer(), token.claims());
        Instant now = clock.instant();
        List<ActiveGrants.Grant> grants = activeGrants.of(identity, now);
        UserDecision decision = policy.get().evaluateUser(identity,
                grants.stream().map(ActiveGrants.Grant::role).collect(Collectors.toSet()));
        if (!decision.allowed()) {
            throw RequestRefused.forbidden("policy_denied", "no certificate for " + identity.name() + ": " + decision.reason());
        }
        if (revoked.revokes(identity.name(), publicKey)) {
            throw RequestRefused.forbidden("revoked", "certificates for " + identity.name()
                    + " or for this key are revoked at this CA; ask a writ admin");
        }
        UserGrant grant = decision.grant();
        // 3. narrow to what was asked, never widen; never past the end of a grant it carries
        Duration ttl = ttl(requested.ttl(), grant);
        List<String> principals = principals(requested.principals(), grant);
        List<ActiveGrants.Grant> carried = grants.stream().filter(g -> grant.grantedRoles().contains(g.role())).toList();
        Instant validBefore = carried.stream().map(ActiveGrants.Grant::end).reduce(now.plus(ttl), UserCertificateService::min);
        List<String> grantIds = carried.stream().map(ActiveGrants.Grant::id).toList();
        // 4. sign and record, with a fresh serial should one collide; refused if a carried grant ended meanwhile
        for (int attempt = 1; ; attempt++) {
            CertificateRequest certificate = new CertificateRequest(CertificateRequest.Kind.USER, serials.next(), publicKey,
                    identity.name(), principals, now.minus(BACKDATE), validBefore,
                    new TreeMap<>(grant.criticalOptions()), extensions(grant, principals));
            SignedCertificate signed = signer.sign(certificate);
            try {
                store.recordIssuance(record(certificate, identity, grant, clientAddress, now), grantIds,
                        issuedEvent(certificate, identity, grant, grantIds, clientAddress, now));
            } catch (SerialConflictException e) {
                if (attempt < SIGNING_ATTEMPTS) {
                    continue;
                }
                throw e;
            } catch (AccessConflict e) {
                throw RequestRefused.conflict("grant_ended", e.getMessage());
            }
            metrics.issued("user", System.nanoTime() - started);
            return new CertificateResponse(signed.line(), Serials.format(certificate.serial()),
                    certificate.validBefore().toString(), certificate.principals());
        }
    }

    static PublicKey parseKey(String line) throws RequestRefused {
        try {
            return PublicKeys.parseCertifiable(line);
        } catch (InvalidKeyException e) {
            throw RequestRefused.badRequest("bad_public_key", e.getMessage());
        }
    }

    private static Duration ttl(String requestedTtl, UserGrant grant) throws RequestRefused {
        if (requestedTtl == null) {
            return min(grant.defaultTtl(), grant.maxTtl());
        }
        Duration ttl = Durations.parse(requestedTtl).orElseThrow(() -> RequestRefused.badRequest("bad_ttl",
                "ttl '" + printable(requestedTtl) + "' is not a positive duration such as 30m, 8h or 1h30m"));
        if (ttl.compareTo(grant.maxTtl()) > 0) {
            throw RequestRefused.badRequest("ttl_above_max", "requested ttl " + Durations.format(ttl)
                    + " exceeds the maximum of " + Durations.format(grant.maxTtl()) + " for roles " + grant.roles());
        }
        return ttl;
    }

    private static List<String> principals(List<String> requested, UserGrant grant) throws RequestRefused {
        if (requested == null) {
            return List.copyOf(grant.principals());
        }
        if (requested.isEmpty()) {
            throw RequestRefused.badRequest("empty_principals", "principals must not be empty; leave it out to get all allowed");
        }
        List<String> outside = new ArrayList<>();
        for (String principal : requested) {
            if (principal == null || !grant.principals().contains(principal)) {
                outside.add(printable(String.valueOf(principal)));
            }
        }
        if (!outside.isEmpty()) {
            throw RequestRefused.forbidden("principals_not_allowed", "principals not allowed: " + String.join(", ", outside)
                    + " (allowed: " + String.join(", ", grant.principals()) + ")");
        }
        return requested.stream().distinct().sorted().toList();
    }

    /** The roles' extensions, the roles, and which role gives which of the certificate's logins. */
    private static TreeMap<String, String> extensions(UserGrant grant, List<String> principals) {
        TreeMap<String, String> extensions = new TreeMap<>();
        grant.extensions().forEach(name -> extensions.put(name, ""));
        extensions.put(ROLES_EXTENSION, String.join(",", grant.roles()));
        Map<String, List<String>> logins = new LinkedHashMap<>();
        for (String role : grant.roles()) { // a role none of whose logins were asked for gives none
            List<String> asked = grant.loginsByRole().get(role).stream().filter(principals::contains).toList();
            if (!asked.isEmpty()) {
                logins.put(role, asked);
            }
        }
        extensions.put(Certificates.LOGINS_EXTENSION, Certificates.encodeLogins(logins));
        return extensions;
    }

    private static IssuedCertificate record(CertificateRequest c, Identity identity, UserGrant grant, String client, Instant now) {
        return new IssuedCertificate(c.serial(), "user", c.keyId(), c.principals(), c.validAfter(), c.validBefore(),
                PublicKeys.fingerprint(c.publicKey()), identity.name(), identity.issuer(), client, grant.roles(), now);
    }

    private static AuditEvent issuedEvent(CertificateRequest c, Identity identity, UserGrant grant, List<String> grantIds,
                                          String client, Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("serial", Serials.format(c.serial()));
        details.put("kind", "user");
        details.put("principals", c.principals());
        details.put("roles", grant.roles());
        details.put("valid_before", c.validBefore().toString());
        details.put("key_fingerprint", PublicKeys.fingerprint(c.publicKey()));
        details.put("issuer", identity.issuer());
        if (!grantIds.isEmpty()) {
            details.put("grants", grantIds);
        }
        return new AuditEvent(now, "certificate.issued", identity.name(), AuditEvent.Outcome.ok, client, details);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** Echoes client text in a message only as short printable ASCII. */
    static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
