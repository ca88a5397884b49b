package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Body of {@code POST /v1/audit/bastion/batch}: a bastion's spooled audit events, oldest first,
 * each with its id. The CA stores the new ones in one transaction, in this order, and skips the
 * ids it already has; a batch with one bad event is refused whole (400, naming the event).
 *
 * @param events at most {@link #MAX_EVENTS}
 */
public record BastionAuditBatch(@JsonProperty("events") List<BastionAuditEvent> events) {

    public static final int MAX_EVENTS = 100;

    public BastionAuditBatch {
        events = events == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(events));
    }

    /**
     * The answer: how many events were new, and how many the CA already had (sent again after an
     * answer that never arrived).
     */
    public record Answer(@JsonProperty("stored") int stored, @JsonProperty("duplicates") int duplicates) {
    }
}
