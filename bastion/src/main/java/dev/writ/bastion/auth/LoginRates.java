package dev.writ.bastion.auth;

import dev.writ.protocol.limits.RateLimiter;
import java.net.InetAddress;
import java.time.Clock;

/**
 * How many logins the bastion admits per engineer (the certificate's key id) and per client
 * address (the socket's; the bastion never reads a PROXY header). Every login counts, the outer
 * connection of {@code ssh -J} included: one {@code ssh -J} is two logins.
 *
 * <p>MINA consults the login gate several times per login (for each key, with and without a
 * signature), and the gate must not change anything; so the gate only {@link #peek}s, and the
 * login is {@link #take}n once, when the connection has authenticated.
 */
public final class LoginRates {

    private final RateLimiter<String> perIdentity;
    private final RateLimiter<String> perAddress;

    public LoginRates(RateLimiter.Limit perIdentity, RateLimiter.Limit perAddress, int maxTracked, Clock clock) {
        this.perIdentity = new RateLimiter<>(perIdentity, maxTracked, clock);
        this.perAddress = new RateLimiter<>(perAddress, maxTracked, clock);
    }

    /** Why this login would be over a limit now, without counting it; null when it would not. */
    public Verdict.Refused peek(Grant grant, InetAddress client) {
        return refusal(grant, client, false);
    }

    /** Counts this login; why it is over a limit when it is (two logins raced past {@link #peek}). */
    public Verdict.Refused take(Grant grant, InetAddress client) {
        return refusal(grant, client, true);
    }

    private synchronized Verdict.Refused refusal(Grant grant, InetAddress client, boolean take) {
        String address = client == null ? "unknown" : client.getHostAddress();
        RateLimiter.Decision byIdentity = perIdentity.peek(grant.identity());
        RateLimiter.Decision byAddress = perAddress.peek(address);
        if (!byIdentity.admitted()) {
            return refused(grant, byIdentity, "logins by " + grant.identity(), perIdentity.limit());
        }
        if (!byAddress.admitted()) {
            return refused(grant, byAddress, "logins from " + address, perAddress.limit());
        }
        if (take) {
            perIdentity.acquire(grant.identity());
            perAddress.acquire(address);
        }
        return null;
    }

    private static Verdict.Refused refused(Grant grant, RateLimiter.Decision decision, String whose, RateLimiter.Limit limit) {
        long seconds = decision.retryAfterSeconds();
        return new Verdict.Refused("rate_limited", "writ: too many logins; try again in " + seconds + " s",
                "too many " + whose + ": at most " + limit.requests() + " per " + limit.per().toSeconds() + " s",
                grant.identity(), grant.serialText());
    }
}
