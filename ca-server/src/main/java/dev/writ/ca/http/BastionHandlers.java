package dev.writ.ca.http;

import dev.writ.ca.session.BastionServices;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.BastionAuditEvent;
import dev.writ.protocol.api.BastionHostCertRequest;
import dev.writ.protocol.api.SessionCertRequest;
import io.javalin.http.Context;

/** The HTTP side of what bastions call (listed in {@link Routes}); the decisions are in {@code dev.writ.ca.session}. */
final class BastionHandlers {

    static final String KRL_MEDIA_TYPE = "application/octet-stream";

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

    void policy(Context ctx) {
        ctx.contentType("application/json").result(Json.write(services.policyFiles()));
    }

    /** The KRL, for {@code RevokedKeys} and bastions; its version lets pollers tell a newer list. */
    void krl(Context ctx) throws StoreException {
        var krl = services.revocations().krl();
        ctx.header("X-Writ-Krl-Version", Long.toString(krl.version())).contentType(KRL_MEDIA_TYPE).result(krl.encode());
    }
}
