package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.config.RateLimits;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.protocol.limits.RateLimiter;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;

/**
 * The CA's rate limits, as two before-matched handlers around authentication: per client address
 * before it (so a flood is refused before any token is verified), per verified identity after it.
 *
 * <p>The client address is the socket's ({@code ctx.ip()}: Javalin reads no forwarding header),
 * so behind a proxy every client shares the proxy's address and the per-address limit applies to
 * the proxy as a whole, unless the config says the proxy's {@code X-Forwarded-For} is to be read
 * ({@link ClientAddresses}). Only the families below are limited: the bastion's endpoints
 * ({@code /v1/certs/session} and the rest) are not, since one bastion asks for every session's
 * certificate; the bastion limits logins per engineer and per address itself.
 */
final class Throttles {

    /** The limited families of endpoints, named on their routes in {@link Routes}. */
    enum Family implements RouteRole {
        ISSUANCE("issuance", "certificate requests"),
        ACCESS_REQUESTS("access_requests", "access requests");

        final String label;
        final String what;

        Family(String label, String what) {
            this.label = label;
            this.what = what;
        }
    }

    private final Map<Family, RateLimiter<String>> perIdentity = new EnumMap<>(Family.class);
    private final Map<Family, RateLimiter<String>> perAddress = new EnumMap<>(Family.class);
    private final CaMetrics metrics;
    private final ClientAddresses addresses;

    Throttles(RateLimits config, ClientAddresses addresses, CaMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.addresses = addresses;
        add(Family.ISSUANCE, config.issuance(), config.maxTracked(), clock);
        add(Family.ACCESS_REQUESTS, config.accessRequests(), config.maxTracked(), clock);
    }

    private void add(Family family, RateLimits.Family limits, int maxTracked, Clock clock) {
        perIdentity.put(family, new RateLimiter<>(limits.perIdentity().limit(), maxTracked, clock));
        perAddress.put(family, new RateLimiter<>(limits.perAddress().limit(), maxTracked, clock));
    }

    /** Before authentication: too many requests of this family from this address. */
    void byAddress(Context ctx) throws RequestRefused {
        Family family = family(ctx);
        if (family != null) {
            String address = addresses.of(ctx);
            check(family, perAddress.get(family), address, "address", "from " + address);
        }
    }

    /** After authentication: too many requests of this family by the identity its token proved. */
    void byIdentity(Context ctx) throws RequestRefused {
        Family family = family(ctx);
        if (family != null) {
            String identity = Authentication.identity(ctx).name();
            check(family, perIdentity.get(family), identity, "identity", "by " + identity);
        }
    }

    private void check(Family family, RateLimiter<String> limiter, String key, String by, String whose) throws RequestRefused {
        RateLimiter.Decision decision = limiter.acquire(key);
        if (!decision.admitted()) {
            metrics.rateLimited(family.label, by);
            RateLimiter.Limit limit = limiter.limit();
            throw RequestRefused.tooManyRequests("rate_limited", "too many " + family.what + " " + whose + ": at most "
                    + limit.requests() + " per " + limit.per().toSeconds() + " s; try again in "
                    + decision.retryAfterSeconds() + " s", decision.retryAfterSeconds());
        }
    }

    private static Family family(Context ctx) {
        for (RouteRole role : ctx.routeRoles()) {
            if (role instanceof Family family) {
                return family;
            }
        }
        return null;
    }
}
