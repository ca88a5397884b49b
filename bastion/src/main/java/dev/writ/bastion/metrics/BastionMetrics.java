package dev.writ.bastion.metrics;

import dev.writ.bastion.observe.Direction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The bastion's Prometheus metrics. Labels never carry identities, targets, keys or certificates. */
public final class BastionMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter toTarget = bytes("to_target");
    private final Counter toClient = bytes("to_client");
    private final Timer upstreamConnect = Timer.builder("writ_bastion_upstream_connect")
            .description("Time from an authenticated login to a logged-in connection to the target (session certificate included)")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(5))
            .maximumExpectedValue(Duration.ofSeconds(15))
            .register(registry);

    public BastionMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    private Counter bytes(String direction) {
        return Counter.builder("writ_bastion_relayed_bytes").description("Channel data relayed, by direction")
                .tag("direction", direction).register(registry);
    }

    public void activeSessions(Supplier<Number> count) {
        Gauge.builder("writ_bastion_sessions_active", count).description("Sessions to targets open now").register(registry);
    }

    public void krlAge(Supplier<Number> seconds) {
        Gauge.builder("writ_bastion_krl_age_seconds", seconds).description("Age of the revocation list in use").register(registry);
    }

    public void relayed(Direction direction, int bytes) {
        (direction == Direction.TO_TARGET ? toTarget : toClient).increment(bytes);
    }

    public void loginRefused(String reason) {
        Counter.builder("writ_bastion_logins_refused").description("Logins refused, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    public void channelRefused(String reason) {
        Counter.builder("writ_bastion_requests_refused").description("Channels and channel requests refused, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    public void sessionEnded(String reason) {
        Counter.builder("writ_bastion_sessions_ended_by_bastion").description("Sessions the bastion ended, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    /** The CA's sync announced a revocation list newer than the one the bastion reported. */
    public void krlPushed() {
        Counter.builder("writ_bastion_krl_pushes").description("Newer revocation lists announced by the CA's sync")
                .register(registry).increment();
    }

    /** The sync with the CA failed (it is retried with backoff). */
    public void syncFailed() {
        Counter.builder("writ_bastion_ca_sync_failures").description("Syncs with the CA that failed")
                .register(registry).increment();
    }

    public void upstreamConnected(long nanos) {
        upstreamConnect.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void upstreamFailed() {
        Counter.builder("writ_bastion_upstream_failures").description("Connections to targets that failed")
                .register(registry).increment();
    }

    /** A recording finished and moved to the spool's upload queue. */
    public void recordingWritten() {
        Counter.builder("writ_bastion_recordings_written").description("Recordings finished in the spool")
                .register(registry).increment();
    }

    /** A recording left by a crash, closed as truncated at start. */
    public void recordingRecovered() {
        Counter.builder("writ_bastion_recordings_recovered").description("Recordings left by a crash, closed as truncated")
                .register(registry).increment();
    }

    /** Session data that never reached a recording (best effort mode; in strict mode the session is ended). */
    public void recordingBytesLost(long bytes) {
        Counter.builder("writ_bastion_recording_bytes_lost").description("Channel data that could not be recorded")
                .register(registry).increment(bytes);
    }

    /** One upload attempt: {@code ok}, {@code failed} (retried later) or {@code rejected} (moved aside). */
    public void recordingUpload(String outcome) {
        Counter.builder("writ_bastion_recording_uploads").description("Recording upload attempts, by outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    public void recordingSpool(Supplier<Number> pending, Supplier<Number> writable) {
        Gauge.builder("writ_bastion_recordings_pending", pending).description("Finished recordings waiting for upload")
                .register(registry);
        Gauge.builder("writ_bastion_recording_spool_writable", writable)
                .description("1 when the recording spool can be written, else 0 (strict sessions are refused)").register(registry);
    }

    /** The audit spool: events not yet confirmed by the CA, and their bytes. */
    public void auditSpool(Supplier<Number> pending, Supplier<Number> bytes) {
        Gauge.builder("writ_bastion_audit_events_pending", pending)
                .description("Audit events in the spool that the CA has not confirmed yet").register(registry);
        Gauge.builder("writ_bastion_audit_spool_bytes", bytes)
                .description("Bytes of audit events in the spool that the CA has not confirmed yet").register(registry);
    }

    /**
     * An audit event lost: {@code spool_full} (dropped when made), {@code torn} (a line a crash cut
     * short) or {@code rejected} (refused for good by the CA, kept in the spool's rejected.jsonl).
     */
    public void auditEventDropped(String reason) {
        Counter.builder("writ_bastion_audit_events_dropped").description("Audit events that will not reach the CA, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    /** An audit event could not be written to the spool (it is kept in memory until the CA has it). */
    public void auditSpoolWriteFailed() {
        Counter.builder("writ_bastion_audit_spool_write_failures")
                .description("Audit events that could not be written to the spool, kept in memory only").register(registry).increment();
    }

    /** One upload of a batch of audit events: {@code ok}, {@code failed} (retried) or {@code rejected}. */
    public void auditUpload(String outcome) {
        Counter.builder("writ_bastion_audit_uploads").description("Audit event batch uploads, by outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
