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
    private final RefusalSummaries summaries;
    private final ClientAddresses addresses;

    Problems(Store store, CaMetrics metrics, Clock clock, RefusalSummaries summaries, ClientAddresses addresses) {
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.summaries = summaries;
        this.addresses = addresses;
    }

    void refused(RequestRefused refusal, Context ctx) {
        metrics.refused(refusal.reason());
        if (summarised(ctx, refusal.status(), refusal.reason())) {
            summarise(ctx, refusal.status(), refusal.reason(), refusal.detail());
        } else {
            audit(ctx, refusal.status(), refusal.reason(), refusal.detail());
            LOG.info("refused {} {} from {}: {} ({})", ctx.method(), ctx.path(), ctx.ip(), refusal.reason(), refusal.detail());
        }
        if (refusal.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Long.toString(refusal.retryAfterSeconds()));
        }
        respond(ctx, refusal.status(), refusal.reason(), refusal.detail());
    }

    /** A path no route matches, or a method a path does not allow: anybody can ask, so it is summarised. */
    void unmatched(Context ctx, int status, String detail) {
        String reason = status == 404 ? "not_found" : "method_not_allowed";
        metrics.refused(reason);
        summarise(ctx, status, reason, detail);
        respond(ctx, status, reason, detail);
    }

    /**
     * Whether a refusal is one anybody can cause in any number, audited in summaries rather than one
     * by one: refused by authentication itself (no verified identity yet), or over a rate limit.
     * Refusals by a handler are audited one by one, even on a route whose proof is in the body.
     */
    private static boolean summarised(Context ctx, int status, String reason) {
        return "rate_limited".equals(reason)
                || ("anonymous".equals(Authentication.actor(ctx)) && status == 401 && Authentication.refusedByAuthentication(ctx));
    }

    private void summarise(Context ctx, int status, String reason, String detail) {
        metrics.summarisedRefusal(reason);
        String address = addresses.of(ctx);
        if (summaries.refused(Authentication.actor(ctx), address, reason, describe(ctx, status, reason, detail))) {
            LOG.info("refused {} {} from {}: {} ({}); further such refusals from there in this window are only counted",
                    ctx.method(), ctx.path(), address, reason, detail);
        }
    }

    /** Javalin's own 4xx answers, such as 413 for a body over the limit. */
    void http(HttpResponseException e, Context ctx) {
        int status = e.getStatus();
        if (status == 404 || status == 405) { // Javalin's answer when no route matches the path or the method
            unmatched(ctx, status, e.getMessage());
            return;
        }
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

    private static Map<String, Object> describe(Context ctx, int status, String reason, String detail) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("method", ctx.method().name());
        details.put("path", ctx.path());
        details.put("status", status);
        details.put("reason", reason);
        details.put("detail", detail);
        return details;
    }

    private void audit(Context ctx, int status, String reason, String detail) {
        try {
            store.audit(new AuditEvent(clock.instant(), "request.refused", Authentication.actor(ctx),
                    AuditEvent.Outcome.refused, ctx.ip(), describe(ctx, status, reason, detail)));
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
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Request Refused";
        };
    }
}
