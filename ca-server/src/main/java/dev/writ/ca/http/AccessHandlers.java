package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.access.AccessService;
import dev.writ.protocol.api.AccessRequestList;
import dev.writ.protocol.api.AccessRequestView;
import dev.writ.protocol.api.NewAccessRequest;
import dev.writ.protocol.api.NewReview;
import io.javalin.http.Context;

/** HTTP for {@code /v1/access-requests}: read the body and query, call the service, write JSON. */
final class AccessHandlers {

    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;

    private final AccessService access;

    AccessHandlers(AccessService access) {
        this.access = access;
    }

    void create(Context ctx) throws Exception {
        NewAccessRequest requested = Json.read(Routes.body(ctx), NewAccessRequest.class);
        respond(ctx, 201, access.create(Authentication.identity(ctx), requested, ctx.ip()));
    }

    /** {@code ?state=pending&mine=true&limit=100} */
    void list(Context ctx) throws Exception {
        boolean mine = bool(ctx, "mine");
        int limit = Query.number(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        var requests = access.list(Authentication.identity(ctx), ctx.queryParam("state"), mine, limit);
        ctx.contentType("application/json").result(Json.write(new AccessRequestList(requests)));
    }

    void get(Context ctx) throws Exception {
        respond(ctx, 200, access.get(Authentication.identity(ctx), ctx.pathParam("id")));
    }

    void review(Context ctx) throws Exception {
        NewReview review = Json.read(Routes.body(ctx), NewReview.class);
        respond(ctx, 201, access.review(Authentication.identity(ctx), ctx.pathParam("id"), review, ctx.ip()));
    }

    void drop(Context ctx) throws Exception {
        respond(ctx, 200, access.drop(Authentication.identity(ctx), ctx.pathParam("id"), ctx.ip()));
    }

    private static void respond(Context ctx, int status, AccessRequestView view) {
        ctx.status(status).contentType("application/json").result(Json.write(view));
    }

    private static boolean bool(Context ctx, String name) throws RequestRefused {
        String value = ctx.queryParam(name);
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw RequestRefused.badRequest("bad_query", name + " must be true or false");
    }
}
