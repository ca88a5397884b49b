package dev.writ.ca.config;

import static dev.writ.ca.config.CaConfig.require;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writ.policy.Durations;
import dev.writ.protocol.limits.RateLimiter.Limit;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code rate_limits:} section of the CA's config. Every part has a default generous enough
 * for real use (an engineer's agent asks for a certificate a few times an hour); tests and
 * busy sites set their own.
 *
 * @param issuance        {@code POST /v1/certs/user}
 * @param accessRequests  {@code POST /v1/access-requests} and {@code POST /v1/access-requests/{id}/reviews}
 * @param maxTracked      buckets kept per limit (identities, addresses); idle ones are dropped first
 * @param summaryWindow   anonymous refusals (no verified identity) are audited as one summary per source address
 *                        and window of this length
 * @param summarySources  source addresses summarised separately per window; the rest share one summary
 * @param clientAddress   what the per-address limits and the summaries key on: {@code socket} (the default: the
 *                        connection's address), or {@code x_forwarded_for}, only behind a proxy
 *                        ({@code tls_terminated_by_proxy: true}): the last address of the last
 *                        {@code X-Forwarded-For} header, the one the proxy appended
 */
public record RateLimits(@JsonProperty("issuance") Family issuance,
                         @JsonProperty("access_requests") Family accessRequests,
                         @JsonProperty("max_tracked") Integer maxTracked,
                         @JsonProperty("summary_window") String summaryWindow,
                         @JsonProperty("summary_sources") Integer summarySources,
                         @JsonProperty("client_address") ClientAddress clientAddress) {

    public static final RateLimits DEFAULT = new RateLimits(null, null, null, null, null, null);

    public enum ClientAddress { socket, x_forwarded_for }

    public RateLimits {
        issuance = Objects.requireNonNullElse(issuance, new Family(null, null)).orDefaults(
                new Rate(60, "1m"), new Rate(600, "1m"), "issuance");
        accessRequests = Objects.requireNonNullElse(accessRequests, new Family(null, null)).orDefaults(
                new Rate(30, "1m"), new Rate(300, "1m"), "access_requests");
        maxTracked = maxTracked == null ? 10_000 : maxTracked;
        require(maxTracked >= 1 && maxTracked <= 1_000_000, "rate_limits.max_tracked must be 1..1000000");
        summaryWindow = summaryWindow == null ? "60s" : summaryWindow;
        Duration window = duration(summaryWindow, "rate_limits.summary_window");
        require(window.compareTo(Duration.ofHours(1)) <= 0, "rate_limits.summary_window must be at most 1h");
        summarySources = summarySources == null ? 1_000 : summarySources;
        require(summarySources >= 1 && summarySources <= 100_000, "rate_limits.summary_sources must be 1..100000");
        clientAddress = Objects.requireNonNullElse(clientAddress, ClientAddress.socket);
    }

    public Duration summaryWindowDuration() {
        return duration(summaryWindow, "rate_limits.summary_window");
    }

    /** The limits of one family of endpoints: per verified identity and per client address. */
    public record Family(@JsonProperty("per_identity") Rate perIdentity, @JsonProperty("per_address") Rate perAddress) {

        Family orDefaults(Rate identity, Rate address, String name) {
            Family family = new Family(perIdentity == null ? identity : perIdentity, perAddress == null ? address : perAddress);
            family.perIdentity.limit("rate_limits." + name + ".per_identity");
            family.perAddress.limit("rate_limits." + name + ".per_address");
            return family;
        }
    }

    /**
     * {@code requests} at once, then refilled evenly over {@code per} (a duration such as 1m);
     * {@code requests: 0} turns the limit off.
     */
    public record Rate(@JsonProperty("requests") Integer requests, @JsonProperty("per") String per) {

        public Limit limit(String key) {
            require(requests != null && requests >= 0, key + ".requests must be 0 (off) or more");
            require(per != null, key + ".per is required (e.g. 1m)");
            return new Limit(requests, duration(per, key + ".per"));
        }

        public Limit limit() {
            return limit("rate");
        }
    }

    private static Duration duration(String text, String key) {
        return Durations.parse(text).orElseThrow(() -> new IllegalArgumentException(
                key + " '" + text + "' is not a duration such as 30s, 1m or 1h"));
    }
}
