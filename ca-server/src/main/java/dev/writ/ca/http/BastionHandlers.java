package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.session.BastionServices;
import dev.writ.ca.session.LiveSessions;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.BastionAuditBatch;
import dev.writ.protocol.api.BastionAuditEvent;
import dev.writ.protocol.api.BastionHostCertRequest;
import dev.writ.protocol.api.BastionSync;
import dev.writ.protocol.api.SessionCertRequest;
import io.javalin.http.Context;
import java.io.InputStream;

/** The HTTP side of what bastions call (listed in {@link Routes}); the decisions are in {@code dev.writ.ca.session}. */
final class BastionHandlers {

    static final String KRL_MEDIA_TYPE = "application/octet-stream";
    /** A sync lists every session of a bastion: its own limit, above the one for other bodies. */
    static final int MAX_SYNC_BYTES = 8 * 1024 * 1024;

    private final BastionServices services;

    BastionHandlers(BastionServices services) {
        this.services = services;
    }

    void sessionCertificate(Context ctx) throws Exception {
        SessionCertRequest requested = Json.read(Routes.body(ctx), SessionCertRequest.class);
        var response = services.sessionCertificates().issue(Authentication.bastion(ctx), requested, ctx.ip());
        ctx.status(201).contentType("application/json").result(Json.write(response));
    }

    void hostCertificate(Context ctx) throws Exception {
        BastionHostCertRequest requested = Json.read(Routes.body(ctx), BastionHostCertRequest.class);
        var response = services.hostCertificates().issue(Authentication.bastion(ctx), requested, ctx.ip());
        ctx.status(201).contentType("application/json").result(Json.write(response));
    }

    void audit(Context ctx) throws Exception {
        BastionAuditEvent event = Json.read(Routes.body(ctx), BastionAuditEvent.class);
        services.audit().record(Authentication.bastion(ctx), event);
        ctx.status(204);
    }

    /** A bastion's spooled events: 200 with how many were new and how many the CA had already. */
    void auditBatch(Context ctx) throws Exception {
        BastionAuditBatch batch = Json.read(Routes.body(ctx), BastionAuditBatch.class);
        var answer = services.audit().record(Authentication.bastion(ctx), batch);
        ctx.contentType("application/json").result(Json.write(answer));
    }

    void policy(Context ctx) {
        ctx.contentType("application/json").result(Json.write(services.policyFiles().get()));
    }

    /** {@code POST /v1/bastion/sync}: answered when there is something to tell the bastion, or after its wait. */
    void sync(Context ctx) throws Exception {
        String contentType = ctx.contentType();
        if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
            throw RequestRefused.badRequest("bad_content_type", "Content-Type must be application/json");
        }
        if (ctx.req().getContentLengthLong() > MAX_SYNC_BYTES) {
            throw RequestRefused.tooLarge("body_too_large", "a sync body may be at most " + MAX_SYNC_BYTES + " bytes");
        }
        byte[] body;
        try (InputStream in = ctx.bodyInputStream()) {
            body = in.readNBytes(MAX_SYNC_BYTES + 1);
        }
        if (body.length > MAX_SYNC_BYTES) {
            throw RequestRefused.tooLarge("body_too_large", "a sync body may be at most " + MAX_SYNC_BYTES + " bytes");
        }
        BastionSync report = LiveSessions.checked(Json.read(body, BastionSync.class));
        String bastion = Authentication.bastion(ctx).name();
        ctx.future(() -> services.liveSessions().sync(bastion, report)
                .thenAccept(answer -> ctx.contentType("application/json").result(Json.write(answer))));
    }

    /** The KRL, for {@code RevokedKeys} and bastions; its version lets pollers tell a newer list. */
    void krl(Context ctx) throws StoreException {
        var krl = services.revocations().krl();
        ctx.header("X-Writ-Krl-Version", Long.toString(krl.version())).contentType(KRL_MEDIA_TYPE).result(krl.encode());
    }
}
