package dev.writ.ca.http;

import dev.writ.ca.audit.Checkpoints;
import dev.writ.ca.audit.EvidenceExport;
import dev.writ.ca.store.Store;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.audit.AuditKey;
import dev.writ.protocol.audit.EvidenceBundle;
import dev.writ.protocol.ssh.PublicKeys;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.List;

/**
 * HTTP for the audit log's evidence: the audit public key, the signed checkpoints, and evidence
 * bundles that an auditor checks offline ({@code writ audit export}, {@code writ audit verify --bundle}).
 */
final class EvidenceHandlers {

    private static final int DEFAULT_LIMIT = 1000;
    private static final int MAX_LIMIT = 10_000;

    private final Store store;
    private final Checkpoints checkpoints;
    private final EvidenceExport export;

    EvidenceHandlers(Store store, Checkpoints checkpoints, Clock clock) {
        this.store = store;
        this.checkpoints = checkpoints;
        this.export = new EvidenceExport(store, checkpoints, clock);
    }

    /** {@code {"key": "ssh-ed25519 ...", "key_id": "SHA256:..."}}: the key that signs checkpoints. */
    void key(Context ctx) {
        var key = checkpoints.key().publicKey();
        ctx.contentType("application/json").result(Json.write(new AuditKey(PublicKeys.toLine(key), PublicKeys.fingerprint(key))));
    }

    /** {@code ?after_seq=&limit=}: one signed checkpoint per line, oldest first. */
    void checkpoints(Context ctx) throws Exception {
        long after = Query.number(ctx, "after_seq", 0L, 0L, Long.MAX_VALUE);
        int limit = (int) Query.number(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        List<AuditCheckpoint> page = store.checkpoints().between(after, Long.MAX_VALUE, limit);
        StringBuilder out = new StringBuilder();
        for (AuditCheckpoint checkpoint : page) {
            out.append(Json.write(checkpoint)).append('\n');
        }
        ctx.contentType(AuditHandlers.NDJSON).result(out.toString());
    }

    /** {@code ?since=&until=}: an evidence bundle, streamed; the range is checked (400, 404) before the first byte. */
    void export(Context ctx) throws Exception {
        var plan = export.plan(Query.time(ctx, "since"), Query.time(ctx, "until"), ctx.scheme() + "://" + ctx.host(),
                Authentication.actor(ctx), ctx.ip());
        ctx.contentType(EvidenceBundle.MEDIA_TYPE).header("Cache-Control", "no-store")
                .header("Content-Disposition", "attachment; filename=\"writ-audit-" + plan.header().firstSeq() + "-"
                        + plan.header().lastSeq() + ".ndjson\"");
        export.write(plan, ctx.outputStream());
    }
}
