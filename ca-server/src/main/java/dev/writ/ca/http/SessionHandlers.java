package dev.writ.ca.http;

import dev.writ.ca.session.LiveSessions;
import dev.writ.protocol.api.LiveSessionList;
import io.javalin.http.Context;

/** {@code /v1/sessions}: the sessions open at the bastions now, and ending one; the decisions are in {@link LiveSessions}. */
final class SessionHandlers {

    private final LiveSessions live;

    SessionHandlers(LiveSessions live) {
        this.live = live;
    }

    /** {@code GET /v1/sessions} */
    void list(Context ctx) {
        ctx.contentType("application/json").result(Json.write(new LiveSessionList(live.list())));
    }

    /** {@code DELETE /v1/sessions/{id}?reason=}: 200 once the bastion closed it, 202 when it had not yet confirmed. */
    void end(Context ctx) throws Exception {
        var ending = live.end(Authentication.identity(ctx), ctx.pathParam("id"), ctx.queryParam("reason"), ctx.ip());
        ctx.future(() -> ending.thenAccept(ended ->
                ctx.status(ended.ended() ? 200 : 202).contentType("application/json").result(Json.write(ended))));
    }
}
