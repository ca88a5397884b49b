package dev.writ.ca.session;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.ssh.Certificates;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * Decides whether a user certificate a bastion forwards is one of ours and still good: signed by
 * our user CA, inside its validity, recorded in our store as a user certificate for this very
 * key, and not revoked. Revocation is read from {@link Revocations}.
 */
final class PresentedCertificates {

    private final CaKeyRing keys;
    private final Store store;
    private final Revocations revocations;
    private final Clock clock;

    PresentedCertificates(CaKeyRing keys, Store store, Revocations revocations, Clock clock) {
        this.keys = keys;
        this.store = store;
        this.revocations = revocations;
        this.clock = clock;
    }

    /** The checked certificate and the record of its issuance. */
    record Verified(OpenSshCertificate certificate, IssuedCertificate issued) {
    }

    Verified verify(String line) throws RequestRefused, StoreException {
        OpenSshCertificate certificate = parse(line);
        if (certificate.getType() != OpenSshCertificate.Type.USER) {
            throw refused("not_a_user_certificate", "user_certificate is not a user certificate");
        }
        if (!Certificates.signedBy(certificate, keys.user().trusted())) {
            throw refused("unknown_ca", "user_certificate is not signed by this CA's user key");
        }
        Instant now = clock.instant();
        if (Certificates.notYetValid(certificate, now)) {
            throw refused("certificate_not_yet_valid", "user_certificate is not valid yet");
        }
        if (Certificates.expired(certificate, now)) {
            throw refused("certificate_expired", "user_certificate has expired");
        }
        if (certificate.getPrincipals().isEmpty()) {
            throw refused("empty_principals", "user_certificate has no principals");
        }
        for (String option : certificate.getCriticalOptionsMap().keySet()) {
            if (!Certificates.KNOWN_CRITICAL_OPTIONS.contains(option)) {
                throw refused("unknown_critical_option", "user_certificate has an unknown critical option");
            }
        }
        String fingerprint = PublicKeys.fingerprint(certificate.getCertPubKey());
        Optional<IssuedCertificate> issued = store.certificate(certificate.getSerial());
        if (issued.isEmpty() || !"user".equals(issued.get().kind()) || !issued.get().keyFingerprint().equals(fingerprint)
                || !issued.get().keyId().equals(certificate.getId())) {
            throw refused("unknown_certificate", "user_certificate was not issued by this CA");
        }
        if (revocations.isRevoked(certificate.getSerial(), certificate.getId(), fingerprint)) {
            throw refused("certificate_revoked", "user_certificate is revoked");
        }
        return new Verified(certificate, issued.get());
    }

    private static OpenSshCertificate parse(String line) throws RequestRefused {
        PublicKey key;
        try {
            key = PublicKeys.parse(line, "user_certificate");
        } catch (InvalidKeyException e) {
            throw RequestRefused.badRequest("bad_certificate", e.getMessage());
        }
        if (!(key instanceof OpenSshCertificate certificate)) {
            throw RequestRefused.badRequest("bad_certificate", "user_certificate is a plain key, not a certificate");
        }
        return certificate;
    }

    private static RequestRefused refused(String reason, String detail) {
        return RequestRefused.forbidden(reason, detail);
    }
}
