package dev.writ.ca.audit;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.AuditQuery;
import dev.writ.ca.store.CheckpointTable;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.store.StoredAuditEvent;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.audit.EvidenceBundle;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Evidence bundles ({@link EvidenceBundle}) for {@code GET /v1/audit/export}: the events of a time
 * range, extended to the next checkpoint so that a signature covers each of them (the head is
 * signed at once when no checkpoint covers it yet), the checkpoints inside, the link before the
 * first event and the audit public key. Written page by page, so memory does not grow with the
 * range. Each export is an audit event ({@code audit.exported}).
 */
public final class EvidenceExport {

    private static final int PAGE = 10_000;

    private final Store store;
    private final Checkpoints checkpoints;
    private final Clock clock;

    public EvidenceExport(Store store, Checkpoints checkpoints, Clock clock) {
        this.store = store;
        this.checkpoints = checkpoints;
        this.clock = clock;
    }

    /** What one export will hold: decided before the first byte is sent, so that refusals are still problems. */
    public record Plan(EvidenceBundle.Header header, AuditCheckpoint last) {
    }

    /** The range of events to export; 404 when no event falls between {@code since} and {@code until}. */
    public Plan plan(Instant since, Instant until, String ca, String actor, String client)
            throws StoreException, GeneralSecurityException, RequestRefused {
        if (since != null && until != null && !since.isBefore(until)) {
            throw RequestRefused.badRequest("bad_range", "since must be before until");
        }
        CheckpointTable table = store.checkpoints();
        OptionalLong first = table.firstSeqFrom(since);
        OptionalLong lastInRange = table.lastSeqBefore(until);
        if (first.isEmpty() || lastInRange.isEmpty() || first.getAsLong() > lastInRange.getAsLong()) {
            throw RequestRefused.notFound("no_audit_events", "no audit events between " + text(since, "the first")
                    + " and " + text(until, "now"));
        }
        checkpoints.checkpointNow();
        AuditCheckpoint last = table.firstFrom(lastInRange.getAsLong()).orElseThrow(
                () -> new StoreException("no checkpoint covers event " + lastInRange.getAsLong(), null));
        long firstSeq = first.getAsLong();
        String prevHash = firstSeq == 1 ? AuditChain.GENESIS : table.link(firstSeq - 1).orElseThrow(
                () -> new StoreException("event " + (firstSeq - 1) + " is missing", null)).hash();
        var key = checkpoints.key().publicKey();
        var header = new EvidenceBundle.Header(EvidenceBundle.FORMAT, ca, clock.instant().toString(),
                since == null ? null : since.toString(), until == null ? null : until.toString(), firstSeq, last.seq(),
                prevHash, PublicKeys.toLine(key), PublicKeys.fingerprint(key));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("since", header.since());
        details.put("until", header.until());
        details.put("first_seq", firstSeq);
        details.put("last_seq", last.seq());
        store.audit(new AuditEvent(clock.instant(), "audit.exported", actor, AuditEvent.Outcome.ok, client, details));
        return new Plan(header, last);
    }

    /** Writes the planned bundle: header, checkpoints, events, end. */
    public void write(Plan plan, OutputStream body) throws IOException, StoreException {
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(body, StandardCharsets.UTF_8), 1 << 16);
        var bundle = new EvidenceBundle.Output(out, plan.header());
        long lastSeq = plan.last().seq();
        long after = plan.header().firstSeq() - 1;
        for (List<AuditCheckpoint> page; !(page = store.checkpoints().between(after, lastSeq, PAGE)).isEmpty(); ) {
            for (AuditCheckpoint checkpoint : page) {
                bundle.checkpoint(checkpoint);
            }
            after = page.get(page.size() - 1).seq();
        }
        after = plan.header().firstSeq() - 1;
        while (after < lastSeq) {
            int size = (int) Math.min(PAGE, lastSeq - after);
            List<StoredAuditEvent> page = store.auditEvents(after, size);
            if (page.isEmpty()) {
                break; // the bundle's end line then tells the auditor the events stop short
            }
            for (StoredAuditEvent event : page) {
                bundle.event(event.toRecord());
            }
            after = page.get(page.size() - 1).seq();
        }
        bundle.end();
    }

    private static String text(Instant at, String otherwise) {
        return at == null ? otherwise : at.toString();
    }
}
