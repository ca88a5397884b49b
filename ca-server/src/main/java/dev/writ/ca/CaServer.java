package dev.writ.ca;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.http.JettyProblemErrors;
import dev.writ.ca.http.Routes;
import io.javalin.Javalin;
import org.slf4j.LoggerFactory;

/** The CA's HTTP server: Javalin on the configured address, HTTPS when the config names a certificate. */
public final class CaServer implements AutoCloseable {

    private final Javalin app;
    private final AutoCloseable[] resources;

    /** {@code resources} are closed, in order, after the server stops. */
    public CaServer(CaConfig config, Routes routes, AutoCloseable... resources) {
        this.resources = resources;
        this.app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.jetty.host = config.listen().host();
            javalin.jetty.port = config.listen().port();
            if (config.tls() != null) {
                javalin.jetty.addConnector((server, http) -> Tls.connector(server, http, config));
            }
            javalin.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblemErrors()));
            routes.register(javalin);
        });
    }

    public CaServer start() {
        app.start();
        return this;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(CaServer.class).warn("closing {}: {}", resource, e.toString());
            }
        }
    }
}
