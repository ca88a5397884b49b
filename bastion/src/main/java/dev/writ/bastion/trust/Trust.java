package dev.writ.bastion.trust;

import dev.writ.policy.Policy;
import dev.writ.protocol.krl.Krl;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the bastion believes at one moment, all of it from the CA: which keys sign user and host
 * certificates, what is revoked (and since when we know), and the policy. Immutable; replaced
 * whole by {@link Authority} on every refresh.
 *
 * @param krlFetchedAt when the revocation list was last fetched successfully
 */
public record Trust(List<PublicKey> userCas, List<PublicKey> hostCas, Krl krl, Instant krlFetchedAt, Policy policy) {

    public Trust {
        userCas = List.copyOf(userCas);
        hostCas = List.copyOf(hostCas);
    }

    /** Whether the revocation list is recent enough to accept new logins. */
    public boolean krlFresh(Instant now, Duration maxStaleness) {
        return !krlFetchedAt.plus(maxStaleness).isBefore(now);
    }

    Trust withKrl(Krl newKrl, Instant fetchedAt) {
        return new Trust(userCas, hostCas, newKrl, fetchedAt, policy);
    }
}
