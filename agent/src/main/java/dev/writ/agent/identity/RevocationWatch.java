package dev.writ.agent.identity;

import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.sshagent.Certificate;
import dev.writ.protocol.krl.Krl;
import dev.writ.protocol.krl.KrlFormatException;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * Whether the CA revoked a certificate the agent holds — a grant ended early, an admin revoked
 * it — so that the agent fetches a new one instead of offering one every bastion and sshd
 * refuses until it expires. Reads the CA's KRL ({@code GET /v1/krl}, public) at most every
 * {@link #CHECK_EVERY}, when ssh asks; when the CA cannot be reached, the last list read stands.
 */
public final class RevocationWatch {

    static final Duration CHECK_EVERY = Duration.ofSeconds(10);

    private final CaClient ca;
    private final Clock clock;
    private Instant checkedAt = Instant.MIN;
    private Krl krl;

    public RevocationWatch(CaClient ca, Clock clock) {
        this.ca = ca;
        this.clock = clock;
    }

    /** Whether the CA's list revokes {@code certificate}: by serial, key id or key. */
    synchronized boolean revoked(Certificate certificate) {
        Instant now = clock.instant();
        if (!now.isBefore(checkedAt.plus(CHECK_EVERY))) {
            checkedAt = now;
            try {
                krl = Krl.decode(ca.krl());
            } catch (WritException | KrlFormatException e) {
                // the CA is away or answered nonsense: the last list stands, the bastion and sshd have their own
            }
        }
        if (krl == null) {
            return false;
        }
        try {
            return PublicKeys.parse(certificate.line()) instanceof OpenSshCertificate parsed && krl.revokes(parsed);
        } catch (InvalidKeyException e) {
            return false; // the agent parsed it when it got it: cannot happen
        }
    }
}
