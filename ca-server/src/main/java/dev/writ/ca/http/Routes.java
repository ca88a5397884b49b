package dev.writ.ca.http;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.access.AccessService;
import dev.writ.ca.audit.Checkpoints;
import dev.writ.ca.config.CaConfig;
import dev.writ.ca.host.HostServices;
import dev.writ.ca.host.KnownHosts;
import dev.writ.ca.issue.UserCertificateService;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.revocation.RevocationService;
import dev.writ.ca.session.BastionServices;
import dev.writ.ca.recording.RecordingServices;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.token.TokenVerifier;
import dev.writ.ca.ui.WebUi;
import dev.writ.policy.Policy;
import java.util.function.Supplier;
import dev.writ.protocol.api.CaKeysResponse;
import dev.writ.protocol.api.HostCertRequest;
import dev.writ.protocol.api.HostRenewRequest;
import dev.writ.protocol.api.JoinTokenRequest;
import dev.writ.protocol.api.LoginConfig;
import dev.writ.protocol.api.NewRevocation;
import dev.writ.protocol.api.Problem;
import dev.writ.protocol.api.UserCertRequest;
import dev.writ.protocol.ssh.PublicKeys;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.security.PublicKey;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Every endpoint of the CA, in one place. Handlers do HTTP only; decisions live in the services. */
public final class Routes {

    /** Largest request body accepted; larger ones get 413. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private final LoginConfig loginConfig;
    private final CaKeyRing keys;
    private final Store store;
    private final CaMetrics metrics;
    private final UserCertificateService userCertificates;
    private final HostServices hosts;
    private final Supplier<Policy> policy;
    private final Authentication authentication;
    private final Problems problems;
    private final AccessHandlers access;
    private final AuditHandlers audit;
    private final EvidenceHandlers evidence;
    private final BastionHandlers bastions;
    private final List<String> bastionHostnames;
    private final boolean directAccess;
    private final RecordingHandlers recordings;
    private final SessionHandlers sessions;
    private final WebUi webUi;
    private final RevocationService revocations;
    private final Throttles throttles;
    private final RefusalSummaries summaries;

    /** Call {@link #close()} when the server has stopped: it writes the last summaries of refusals. */
    public Routes(CaConfig config, CaKeyRing keys, Store store, CaMetrics metrics, TokenVerifier verifier,
                  UserCertificateService userCertificates, HostServices hosts, AccessService access,
                  BastionServices bastions, RecordingServices recordings, RevocationService revocations,
                  Supplier<Policy> policy, Clock clock, Checkpoints checkpoints) {
        this.loginConfig = new LoginConfig(config.login().issuer(), config.login().clientId(), config.login().scopes(),
                config.bastion(), config.login().targets());
        this.keys = keys;
        this.store = store;
        this.metrics = metrics;
        this.userCertificates = userCertificates;
        this.hosts = hosts;
        this.policy = policy;
        this.authentication = new Authentication(verifier, policy, bastions.assertions());
        this.summaries = new RefusalSummaries(store, clock, config.rateLimits().summaryWindowDuration(),
                config.rateLimits().summarySources());
        var addresses = new ClientAddresses(config.rateLimits().clientAddress());
        this.problems = new Problems(store, metrics, clock, summaries, addresses);
        this.throttles = new Throttles(config.rateLimits(), addresses, metrics, clock);
        this.access = new AccessHandlers(access);
        this.audit = new AuditHandlers(store);
        this.evidence = new EvidenceHandlers(store, checkpoints, clock);
        this.bastions = new BastionHandlers(bastions);
        this.directAccess = config.directAccess();
        this.bastionHostnames = config.bastions().stream().flatMap(b -> b.hostnames().stream()).distinct().toList();
        this.recordings = new RecordingHandlers(recordings);
        this.sessions = new SessionHandlers(bastions.liveSessions());
        this.webUi = new WebUi(config.login().issuer());
        this.revocations = revocations;
    }

    public void register(JavalinConfig config) {
        config.http.maxRequestSize = MAX_BODY_BYTES;
        var routes = config.routes;
        // in this order: per address before any token is verified, per identity once one is
        routes.beforeMatched(throttles::byAddress);
        routes.beforeMatched(Query::wellFormed); // no control character, broken encoding or repeat reaches a handler
        routes.beforeMatched(authentication::check);
        routes.beforeMatched(throttles::byIdentity);

        routes.get("/healthz", ctx -> ctx.result("ok"), Access.ANYONE);
        routes.get("/readyz", this::ready, Access.ANYONE);
        routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()), Access.ANYONE);
        routes.get("/v1/login-config", ctx -> ctx.contentType("application/json")
                .result(Json.write(RoutedTargets.published(loginConfig, policy.get()))), Access.ANYONE);
        routes.get("/v1/ca", this::caKeys, Access.ANYONE);
        routes.get("/v1/ca/user.pub", ctx -> ctx.contentType("text/plain").result(lines(targetsTrust())), Access.ANYONE);
        routes.get("/v1/ca/known_hosts", this::knownHosts, Access.ANYONE);
        routes.post("/v1/certs/user", this::userCertificate, Access.OIDC, Throttles.Family.ISSUANCE);
        routes.post("/v1/certs/host", this::hostCertificate, Access.HOST);
        routes.post("/v1/certs/host/renew", this::renewHostCertificate, Access.HOST_PROOF);
        routes.post("/v1/join-tokens", this::joinToken, Access.ADMIN);
        routes.post("/v1/access-requests", access::create, Access.OIDC, Throttles.Family.ACCESS_REQUESTS);
        routes.get("/v1/access-requests", access::list, Access.OIDC);
        routes.get("/v1/access-requests/{id}", access::get, Access.OIDC);
        routes.post("/v1/access-requests/{id}/reviews", access::review, Access.OIDC, Throttles.Family.ACCESS_REQUESTS);
        routes.delete("/v1/access-requests/{id}", access::drop, Access.OIDC);
        routes.get("/v1/audit", audit::events, Access.AUDITOR);
        routes.get("/v1/audit/verify", audit::verify, Access.AUDITOR);
        routes.get("/v1/audit/key", evidence::key, Access.ANYONE);
        routes.get("/v1/audit/checkpoints", evidence::checkpoints, Access.AUDITOR);
        routes.get("/v1/audit/export", evidence::export, Access.AUDITOR);
        routes.post("/v1/revocations", this::revoke, Access.ADMIN);
        routes.get("/v1/krl", bastions::krl, Access.ANYONE);
        routes.post("/v1/certs/session", bastions::sessionCertificate, Access.BASTION);
        routes.post("/v1/certs/bastion-host", bastions::hostCertificate, Access.BASTION);
        routes.post("/v1/audit/bastion", bastions::audit, Access.BASTION);
        routes.post("/v1/audit/bastion/batch", bastions::auditBatch, Access.BASTION);
        routes.get("/v1/bastion/policy", bastions::policy, Access.BASTION);
        routes.post("/v1/bastion/sync", bastions::sync, Access.BASTION);
        routes.get("/v1/sessions", sessions::list, Access.AUDITOR);
        routes.delete("/v1/sessions/{id}", sessions::end, Access.ADMIN);
        // streamed with a limit of their own (recording_max_bytes); the limit above is for bodies read whole
        routes.put("/v1/recordings/{id}", recordings::upload, Access.BASTION);
        routes.after("/v1/recordings/{id}", recordings::drain);
        routes.get("/v1/recordings", recordings::search, Access.AUDITOR);
        routes.get("/v1/recordings/{id}", recordings::download, Access.AUDITOR);
        routes.get("/v1/recordings/{id}/verify", recordings::verify, Access.AUDITOR);
        // the review pages and their assets; their data comes from the APIs above, with the user's token
        routes.before("/ui", ctx -> { // the pages' relative links and the sign-in redirect URI need /ui/
            if (ctx.path().equals("/ui")) {
                ctx.redirect("/ui/");
                ctx.skipRemainingHandlers();
            }
        });
        webUi.register(config.staticFiles, Set.of(Access.ANYONE));

        routes.exception(RequestRefused.class, problems::refused);
        routes.exception(HttpResponseException.class, problems::http);
        routes.exception(StoreException.class, problems::store);
        routes.exception(Exception.class, problems::unexpected);
        routes.error(404, ctx -> {
            // a handler's own 404 already carries its problem: only unmatched paths get this one
            if (!Problem.MEDIA_TYPE.equals(ctx.res().getContentType())) {
                problems.unmatched(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path());
            }
        });
        routes.error(405, ctx -> {
            if (!Problem.MEDIA_TYPE.equals(ctx.res().getContentType())) {
                problems.unmatched(ctx, 405, ctx.method() + " is not allowed on " + ctx.path());
            }
        });
    }

    /** Writes the summaries of refusals still open; after the server stopped, before the store closes. */
    public void close() {
        summaries.close();
    }

    private void ready(Context ctx) {
        boolean ready = store.isReachable() && keys.user() != null && keys.session() != null && keys.host() != null;
        if (ready) {
            ctx.result("ready");
        } else {
            Problems.respond(ctx, 503, "not_ready", "the store is not reachable");
        }
    }

    private void caKeys(Context ctx) {
        ctx.contentType("application/json").result(Json.write(new CaKeysResponse(
                keys.user().trusted().stream().map(PublicKeys::toLine).toList(),
                keys.session().trusted().stream().map(PublicKeys::toLine).toList(),
                keys.host().trusted().stream().map(PublicKeys::toLine).toList())));
    }

    /**
     * What targets put in {@code TrustedUserCAKeys}: the session CA, so that only the bastion's
     * session certificates log in; the user CA too only when the config opts in to direct access.
     */
    private List<PublicKey> targetsTrust() {
        return directAccess ? Stream.concat(keys.session().trusted().stream(), keys.user().trusted().stream()).toList()
                : keys.session().trusted();
    }

    private void knownHosts(Context ctx) {
        ctx.contentType("text/plain").result(KnownHosts.render(policy.get(), bastionHostnames, keys.host().trusted()));
    }

    private void userCertificate(Context ctx) throws Exception {
        UserCertRequest requested = Json.read(body(ctx), UserCertRequest.class);
        var response = userCertificates.issue(Authentication.token(ctx), requested, ctx.ip());
        ctx.status(201).contentType("application/json").result(Json.write(response));
    }

    private void hostCertificate(Context ctx) throws Exception {
        HostCertRequest requested = Json.read(body(ctx), HostCertRequest.class);
        var response = hosts.certificates().issue(Authentication.hostCredential(ctx), requested, ctx.ip());
        ctx.status(201).contentType("application/json").result(Json.write(response));
    }

    private void renewHostCertificate(Context ctx) throws Exception {
        HostRenewRequest requested = Json.read(body(ctx), HostRenewRequest.class);
        var response = hosts.renewals().renew(requested, ctx.ip());
        ctx.status(201).contentType("application/json").result(Json.write(response));
    }

    private void joinToken(Context ctx) throws Exception {
        JoinTokenRequest requested = Json.read(body(ctx), JoinTokenRequest.class);
        var response = hosts.joinTokens().create(Authentication.token(ctx), requested, ctx.ip());
        ctx.status(201).contentType("application/json").header("Cache-Control", "no-store").result(Json.write(response));
    }

    private void revoke(Context ctx) throws Exception {
        NewRevocation requested = Json.read(body(ctx), NewRevocation.class);
        var response = revocations.revoke(Authentication.identity(ctx), requested, ctx.ip());
        ctx.status(200).contentType("application/json").result(Json.write(response));
    }

    /** The body, refused with 413 when over the limit (also when no Content-Length announced it). */
    static byte[] body(Context ctx) throws RequestRefused {
        String contentType = ctx.contentType();
        if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
            throw RequestRefused.badRequest("bad_content_type", "Content-Type must be application/json");
        }
        return ctx.bodyAsBytes();
    }

    private static String lines(List<PublicKey> keys) {
        return keys.stream().map(key -> PublicKeys.toLine(key) + "\n").collect(Collectors.joining());
    }
}
