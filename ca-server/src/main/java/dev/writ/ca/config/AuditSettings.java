package dev.writ.ca.config;

import static dev.writ.ca.config.CaConfig.require;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writ.policy.Durations;
import java.time.Duration;

/**
 * The {@code audit:} section of the CA's config: how often the audit key signs a checkpoint of
 * the audit chain's head. A checkpoint is taken once {@code checkpoint_every_events} events were
 * appended since the last one, or {@code checkpoint_every} after it when any event was.
 *
 * @param checkpointEveryEvents events between checkpoints (default 1000, 1..1000000)
 * @param checkpointEvery       longest time an appended event waits for its checkpoint (default 60s, 1s..24h)
 */
public record AuditSettings(@JsonProperty("checkpoint_every_events") Integer checkpointEveryEvents,
                            @JsonProperty("checkpoint_every") String checkpointEvery) {

    public static final AuditSettings DEFAULT = new AuditSettings(null, null);

    public AuditSettings {
        checkpointEveryEvents = checkpointEveryEvents == null ? 1000 : checkpointEveryEvents;
        require(checkpointEveryEvents >= 1 && checkpointEveryEvents <= 1_000_000,
                "audit.checkpoint_every_events must be 1..1000000");
        checkpointEvery = checkpointEvery == null ? "60s" : checkpointEvery;
        Duration every = parse(checkpointEvery);
        require(every.compareTo(Duration.ofSeconds(1)) >= 0 && every.compareTo(Duration.ofHours(24)) <= 0,
                "audit.checkpoint_every must be 1s..24h");
    }

    public Duration checkpointEveryDuration() {
        return parse(checkpointEvery);
    }

    private static Duration parse(String text) {
        return Durations.parse(text).orElseThrow(() -> new IllegalArgumentException(
                "audit.checkpoint_every '" + text + "' is not a duration such as 30s, 1m or 1h"));
    }
}
