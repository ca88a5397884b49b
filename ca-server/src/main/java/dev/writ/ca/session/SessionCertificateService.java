package dev.writ.ca.session;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.sign.CertificateRequest;
import dev.writ.ca.sign.CertificateSigner;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.sign.SignedCertificate;
import dev.writ.ca.sign.SigningException;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.SerialConflictException;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.policy.Role;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.SessionCertRequest;
import dev.writ.protocol.ssh.Certificates;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * {@code POST /v1/certs/session}: a bastion asks, for one session, for a certificate it uses to
 * log in to the target on the engineer's behalf. Pipeline: parse → check the engineer's
 * certificate → authorize login and target → sign → record durably → answer.
 */
public final class SessionCertificateService {

    /** Long enough to connect and authenticate; the target does not look at it again afterwards. */
    public static final Duration TTL = Duration.ofMinutes(2);
    /** Session certificates start a little in the past for targets whose clock is behind. */
    static final Duration BACKDATE = Duration.ofSeconds(30);
    /** Extensions carried over from the engineer's certificate; X11 is never relayed by the bastion. */
    static final Set<String> CARRIED_EXTENSIONS = Set.of("permit-pty", "permit-port-forwarding",
            "permit-agent-forwarding", "permit-user-rc");
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");
    private static final int SIGNING_ATTEMPTS = 3;

    private final PresentedCertificates presented;
    private final Supplier<Policy> policy;
    private final CertificateSigner signer;
    private final Store store;
    private final Clock clock;
    private final CaMetrics metrics;
    private final Serials serials = new Serials();

    SessionCertificateService(PresentedCertificates presented, Supplier<Policy> policy, CertificateSigner signer, Store store,
                                     Clock clock, CaMetrics metrics) {
        this.presented = presented;
        this.policy = policy;
        this.signer = signer;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
    }

    public CertificateResponse issue(BastionRegistration bastion, SessionCertRequest requested, String bastionAddress)
            throws RequestRefused, StoreException, SigningException {
        long started = System.nanoTime();
        // 1. parse what the bastion sent
        PublicKey sessionKey = parseKey(requested.publicKey());
        String principal = required(requested.principal(), "principal");
        String target = required(requested.target(), "target");
        String sessionId = required(requested.sessionId(), "session_id");
        if (!SESSION_ID.matcher(sessionId).matches() || !TARGET.matcher(target).matches()) {
            throw RequestRefused.badRequest("bad_request", "session_id or target has characters that are not allowed");
        }
        // 2. the engineer's certificate: ours, valid now, not revoked (the bastion checked too; we do not rely on it)
        PresentedCertificates.Verified engineer = presented.verify(requested.userCertificate());
        OpenSshCertificate certificate = engineer.certificate();
        // 3. authorize: one role of that certificate gives both the login and the target
        if (!certificate.getPrincipals().contains(principal)) {
            throw RequestRefused.forbidden("principal_not_allowed", "login " + principal + " is not a principal of the certificate");
        }
        Role role = policy.get().sessionRole(Certificates.loginsByRole(certificate), principal, target, requested.targetLabels())
                .orElseThrow(() -> RequestRefused.forbidden("target_not_allowed", "no role of " + engineer.issued().identity()
                        + " allows login " + principal + " on " + target));
        // 4. sign with the session CA: one principal, two minutes, only from the bastion, that role's extensions,
        //    key id naming engineer and session
        Instant now = clock.instant();
        Instant validBefore = min(now.plus(TTL), Certificates.validBefore(certificate));
        String keyId = certificate.getId() + " via writ session " + sessionId;
        for (int attempt = 1; ; attempt++) {
            CertificateRequest request = new CertificateRequest(CertificateRequest.Kind.SESSION, serials.next(), sessionKey,
                    keyId, List.of(principal), now.minus(BACKDATE), validBefore, criticalOptions(certificate, bastion),
                    extensions(certificate, role));
            SignedCertificate signed = signer.sign(request);
            try {
                store.recordIssuance(record(request, engineer.issued(), bastionAddress, List.of(role.name()), now),
                        issuedEvent(request, engineer.issued(), bastion, target, sessionId, certificate, role, bastionAddress, now));
            } catch (SerialConflictException e) {
                if (attempt < SIGNING_ATTEMPTS) {
                    continue;
                }
                throw e;
            }
            metrics.issued("session", System.nanoTime() - started);
            return new CertificateResponse(signed.line(), Serials.format(request.serial()), validBefore.toString(),
                    request.principals());
        }
    }

    /** {@code source-address}: the bastion's addresses; {@code force-command}: kept, so the target enforces it too. */
    private static TreeMap<String, String> criticalOptions(OpenSshCertificate engineer, BastionRegistration bastion) {
        TreeMap<String, String> options = new TreeMap<>();
        options.put("source-address", bastion.sourceAddress());
        String forceCommand = engineer.getCriticalOptionsMap().get("force-command");
        if (forceCommand != null) {
            options.put("force-command", forceCommand);
        }
        return options;
    }

    /** The deciding role's extensions that the engineer's certificate also carries, and that one role. */
    private static TreeMap<String, String> extensions(OpenSshCertificate engineer, Role role) {
        TreeMap<String, String> extensions = new TreeMap<>();
        engineer.getExtensionsMap().forEach((name, value) -> {
            if (CARRIED_EXTENSIONS.contains(name) && role.extensions().contains(name)) {
                extensions.put(name, "");
            }
        });
        extensions.put(Certificates.ROLES_EXTENSION, role.name());
        return extensions;
    }

    private static IssuedCertificate record(CertificateRequest c, IssuedCertificate engineer, String bastionAddress,
                                            List<String> roles, Instant now) {
        return new IssuedCertificate(c.serial(), "session", c.keyId(), c.principals(), c.validAfter(), c.validBefore(),
                PublicKeys.fingerprint(c.publicKey()), engineer.identity(), engineer.issuer(), bastionAddress, roles, now);
    }

    private static AuditEvent issuedEvent(CertificateRequest c, IssuedCertificate engineer, BastionRegistration bastion,
                                          String target, String sessionId, OpenSshCertificate presented, Role role,
                                          String bastionAddress, Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("serial", Serials.format(c.serial()));
        details.put("kind", "session");
        details.put("principals", c.principals());
        details.put("role", role.name());
        details.put("target", target);
        details.put("session_id", sessionId);
        details.put("bastion", bastion.name());
        details.put("user_certificate_serial", Serials.format(presented.getSerial()));
        details.put("valid_before", c.validBefore().toString());
        details.put("key_fingerprint", PublicKeys.fingerprint(c.publicKey()));
        return new AuditEvent(now, "certificate.issued", engineer.identity(), AuditEvent.Outcome.ok, bastionAddress, details);
    }

    static PublicKey parseKey(String line) throws RequestRefused {
        try {
            return PublicKeys.parseCertifiable(line);
        } catch (InvalidKeyException e) {
            throw RequestRefused.badRequest("bad_public_key", e.getMessage());
        }
    }

    private static String required(String value, String field) throws RequestRefused {
        if (value == null || value.isBlank()) {
            throw RequestRefused.badRequest("missing_field", field + " is required");
        }
        return value;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
