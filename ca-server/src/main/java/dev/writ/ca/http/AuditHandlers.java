package dev.writ.ca.http;

import dev.writ.ca.store.AuditQuery;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoredAuditEvent;
import io.javalin.http.Context;
import java.util.List;

/** HTTP for {@code /v1/audit}: the hash-chained audit log for auditors, and its server-side check. */
final class AuditHandlers {

    static final String NDJSON = "application/x-ndjson";
    private static final int DEFAULT_LIMIT = 1000;
    private static final int MAX_LIMIT = 10_000;

    private final Store store;

    AuditHandlers(Store store) {
        this.store = store;
    }

    /** {@code ?actor=&type=&since=&until=&after_seq=&limit=}: one stored event per line, oldest first. */
    void events(Context ctx) throws Exception {
        AuditQuery query = new AuditQuery(Query.text(ctx, "actor"), Query.text(ctx, "type"), Query.time(ctx, "since"),
                Query.time(ctx, "until"), Query.number(ctx, "after_seq", 0L, 0L, Long.MAX_VALUE),
                Query.number(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT));
        List<StoredAuditEvent> events = store.auditEvents(query);
        StringBuilder out = new StringBuilder();
        for (StoredAuditEvent event : events) {
            out.append(Json.write(event.toRecord())).append('\n');
        }
        ctx.contentType(NDJSON).result(out.toString());
    }

    /** {@code {ok, events, broken_at, problem}}: the whole chain re-checked against the stored head. */
    void verify(Context ctx) throws Exception {
        ctx.contentType("application/json").result(Json.write(store.verifyAudit()));
    }
}
