package dev.writ.ca.host;

import dev.writ.ca.issue.UserCertificateService;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.sign.CertificateRequest;
import dev.writ.ca.sign.CertificateSigner;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.sign.SignedCertificate;
import dev.writ.ca.sign.SigningException;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.HostProvenance;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.SerialConflictException;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last steps of every host certificate, issued or renewed: sign, record durably (with what
 * it was issued under), answer. Nothing leaves before the audit record is committed.
 */
final class HostSigning {

    private static final int SIGNING_ATTEMPTS = 3;

    /**
     * A host certificate whose content is decided.
     *
     * @param keyId    the identity that proved itself (for a renewal: the one of the first certificate)
     * @param issuer   that identity's issuer
     * @param actor    who asks, for the audit log
     */
    record Decided(PublicKey publicKey, String keyId, String issuer, String actor, List<String> hostnames,
                   Duration ttl, HostProvenance provenance, String clientAddress) {
    }

    private final CertificateSigner signer;
    private final Store store;
    private final CaMetrics metrics;
    private final Serials serials = new Serials();

    HostSigning(CertificateSigner signer, Store store, CaMetrics metrics) {
        this.signer = signer;
        this.store = store;
        this.metrics = metrics;
    }

    /** Signs and records, with a fresh serial should one collide. */
    CertificateResponse signAndRecord(Decided decided, Instant now, long startedNanos)
            throws SigningException, StoreException {
        for (int attempt = 1; ; attempt++) {
            CertificateRequest certificate = new CertificateRequest(CertificateRequest.Kind.HOST, serials.next(),
                    decided.publicKey(), decided.keyId(), decided.hostnames(),
                    now.minus(UserCertificateService.BACKDATE), now.plus(decided.ttl()), new TreeMap<>(), new TreeMap<>());
            SignedCertificate signed = signer.sign(certificate);
            try {
                store.recordHostIssuance(record(certificate, decided, now), decided.provenance(),
                        issuedEvent(certificate, decided, now));
            } catch (SerialConflictException e) {
                if (attempt < SIGNING_ATTEMPTS) {
                    continue;
                }
                throw e;
            }
            metrics.issued("host", System.nanoTime() - startedNanos);
            return new CertificateResponse(signed.line(), Serials.format(certificate.serial()),
                    certificate.validBefore().toString(), certificate.principals());
        }
    }

    private static IssuedCertificate record(CertificateRequest c, Decided decided, Instant now) {
        return new IssuedCertificate(c.serial(), "host", c.keyId(), c.principals(), c.validAfter(), c.validBefore(),
                PublicKeys.fingerprint(c.publicKey()), decided.keyId(), decided.issuer(), decided.clientAddress(),
                List.of(), now);
    }

    private static AuditEvent issuedEvent(CertificateRequest c, Decided decided, Instant now) {
        HostProvenance provenance = decided.provenance();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("serial", Serials.format(c.serial()));
        details.put("kind", "host");
        details.put("principals", c.principals());
        details.put("rule", provenance.rule());
        details.put("via", provenance.via().name());
        if (provenance.joinToken() != null) {
            details.put("join_token", JoinTokens.id(provenance.joinToken()));
        }
        if (provenance.renewedFrom() != null) {
            details.put("renewed_from", Serials.format(provenance.renewedFrom()));
        }
        details.put("valid_before", c.validBefore().toString());
        details.put("key_fingerprint", PublicKeys.fingerprint(c.publicKey()));
        details.put("issuer", decided.issuer());
        return new AuditEvent(now, "certificate.issued", decided.actor(), AuditEvent.Outcome.ok,
                decided.clientAddress(), details);
    }
}
