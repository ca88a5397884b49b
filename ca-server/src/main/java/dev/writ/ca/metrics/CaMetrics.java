package dev.writ.ca.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The CA's Prometheus metrics. Labels never carry identities, tokens or keys. */
public final class CaMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer storeCommit = Timer.builder("writ_store_commit")
            .description("Time of one store transaction (a group of writes)")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(5))
            .register(registry);

    public void issued(String kind, long nanos) {
        Counter.builder("writ_certificates_issued").description("Certificates signed and recorded")
                .tag("kind", kind).register(registry).increment();
        // by kind: a session certificate is on the critical path of every login, a user certificate is not
        Timer.builder("writ_issuance")
                .description("Time to answer a certificate request that was signed, from parsing to the durable audit record")
                .tag("kind", kind)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void refused(String reason) {
        Counter.builder("writ_refusals").description("Requests refused, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    /** A request over a rate limit: {@code family} issuance or access_requests, {@code by} identity or address. */
    public void rateLimited(String family, String by) {
        Counter.builder("writ_rate_limited").description("Requests refused with 429, by family of endpoints and key")
                .tag("family", family).tag("by", by).register(registry).increment();
    }

    /** A refusal summarised in the audit log rather than written one by one: every one is counted here. */
    public void summarisedRefusal(String reason) {
        Counter.builder("writ_summarised_refusals")
                .description("Refusals without a verified identity (or over a rate limit), audited as one summary per source and window")
                .tag("reason", reason).register(registry).increment();
    }

    /** A webhook delivery finished: delivered, failed (after every attempt) or dropped (queue full, closing). */
    public void webhook(String outcome) {
        Counter.builder("writ_webhook_deliveries").description("Webhook deliveries, by outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    public void storeCommitted(long nanos) {
        storeCommit.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
