package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.Problem;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become answers: refusals become 4xx problems and audit events,
 * anything unexpected becomes a 500 problem without internals (and a log line with them).
 */
final class Problems {

    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
    private static final String TYPE_BASE = "https://writ.dev/problems/";

    private final Store store;
    private final CaMetrics metrics;
    private final Clock clock;

    Problems(Store store, CaMetrics metrics, Clock clock) {
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
    }

    void refused(RequestRefused refusal, Context ctx) {
        metrics.refused(refusal.reason());
        audit(ctx, refusal.status(), refusal.reason(), refusal.detail());
        LOG.info("refused {} {} from {}: {} ({})", ctx.method(), ctx.path(), ctx.ip(), refusal.reason(), refusal.detail());
        respond(ctx, refusal.status(), refusal.reason(), refusal.detail());
    }

    /** Javalin's own 4xx answers, such as 413 for a body over the limit. */
    void http(HttpResponseException e, Context ctx) {
        int status = e.getStatus();
        String reason = status == 413 ? "body_too_large" : "http_" + status;
        String detail = status == 413 ? "the request body is larger than " + Routes.MAX_BODY_BYTES + " bytes" : e.getMessage();
        if (status >= 400 && status < 500) {
            metrics.refused(reason);
            audit(ctx, status, reason, detail);
        }
        respond(ctx, status, reason, detail);
    }

    void store(StoreException e, Context ctx) {
        LOG.error("store failure on {} {}: {}", ctx.method(), ctx.path(), e.toString());
        metrics.refused("store_unavailable");
        respond(ctx, 503, "store_unavailable", "the CA cannot record this request right now; nothing was issued, try again");
    }

    void unexpected(Exception e, Context ctx) {
        LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
        respond(ctx, 500, "internal", "the CA failed to handle this request; nothing was issued");
    }

    static void respond(Context ctx, int status, String reason, String detail) {
        ctx.status(status).contentType(Problem.MEDIA_TYPE)
                .result(Json.write(new Problem(TYPE_BASE + reason, title(status), status, detail)));
    }

    private void audit(Context ctx, int status, String reason, String detail) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("method", ctx.method().name());
        details.put("path", ctx.path());
        details.put("status", status);
        details.put("reason", reason);
        details.put("detail", detail);
        try {
            store.audit(new AuditEvent(clock.instant(), "request.refused", Authentication.actor(ctx),
                    AuditEvent.Outcome.refused, ctx.ip(), details));
        } catch (StoreException e) {
            LOG.error("cannot audit a refusal: {}", e.toString());
        }
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Request Refused";
        };
    }
}
