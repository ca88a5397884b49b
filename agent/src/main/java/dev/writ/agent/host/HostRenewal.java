package dev.writ.agent.host;

import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.HostRenewRequest;
import dev.writ.protocol.api.RenewalProof;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code writ host renew}: safe to run from a timer as often as you like. It renews only once
 * less than a third of the certificate's lifetime is left (a 7-day certificate after about 4.7
 * days), proving possession of the current key and certificate, and otherwise does nothing.
 */
final class HostRenewal {

    /** What renew did. */
    sealed interface Outcome {
        record NothingToDo(long serial, Instant validBefore, Instant renewFrom) implements Outcome {
        }

        record Renewed(CertificateResponse certificate) implements Outcome {
        }
    }

    private HostRenewal() {
    }

    /** When a certificate valid from {@code validAfter} to {@code validBefore} is due: two thirds into its life. */
    static Instant renewFrom(Instant validAfter, Instant validBefore) {
        Duration lifetime = Duration.between(validAfter, validBefore);
        return validBefore.minus(lifetime.dividedBy(3));
    }

    static Outcome run(HostCaClient ca, HostFiles files, boolean force, Instant now) throws HostCommandException {
        KeyPair key = files.loadKey();
        HostFiles.Certificate current = files.readCertificate();
        Instant validAfter = Instant.ofEpochSecond(current.parsed().getValidAfter());
        Instant validBefore = Instant.ofEpochSecond(current.parsed().getValidBefore());
        if (!now.isBefore(validBefore)) {
            throw new HostCommandException("the host certificate expired at " + validBefore
                    + "; an expired certificate cannot be renewed: run writ host bootstrap again");
        }
        Instant renewFrom = renewFrom(validAfter, validBefore);
        if (!force && now.isBefore(renewFrom) && !rotatedSinceIssued(ca, files, current)) {
            return new Outcome.NothingToDo(current.parsed().getSerial(), validBefore, renewFrom);
        }
        String proof;
        try {
            proof = RenewalProof.sign(key, current.line(), current.parsed().getCaPubKey(), null, now,
                    RenewalProof.DEFAULT_LIFETIME);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new HostCommandException("cannot sign the renewal proof with " + files.key() + ": " + e.getMessage(), e);
        }
        CertificateResponse renewed = ca.renew(new HostRenewRequest(proof, null, null, null));
        HostBootstrap.requireCertificateFor(renewed.certificate(), new HostFiles.HostKey(key, false));
        files.writeCertificate(renewed.certificate());
        files.writeUserCaKeys(ca.userCaKeys());
        return new Outcome.Renewed(renewed);
    }

    /**
     * At a run where the certificate is not due: keeps TrustedUserCAKeys current (the session CA may
     * have a next key, or have retired one) and tells whether the host CA rotated. A CA that cannot
     * be reached now changes nothing: the files stay, and the next run asks again.
     */
    private static boolean rotatedSinceIssued(HostCaClient ca, HostFiles files, HostFiles.Certificate current) {
        try {
            files.writeUserCaKeys(ca.userCaKeys());
            return hostCaRotated(ca, current);
        } catch (HostCommandException e) {
            return false;
        }
    }

    /** Whether the host CA key that signs now is another than the one that signed the certificate (a rotation). */
    private static boolean hostCaRotated(HostCaClient ca, HostFiles.Certificate current) throws HostCommandException {
        java.util.List<String> published = ca.hostCaKeys();
        if (published.isEmpty()) {
            return false;
        }
        try {
            java.security.PublicKey signing = dev.writ.protocol.ssh.PublicKeys.parse(published.get(0));
            return !org.apache.sshd.common.config.keys.KeyUtils.compareKeys(signing, current.parsed().getCaPubKey());
        } catch (dev.writ.protocol.ssh.InvalidKeyException e) {
            throw new HostCommandException("the CA published an unreadable host CA key: " + e.getMessage(), e);
        }
    }
}
