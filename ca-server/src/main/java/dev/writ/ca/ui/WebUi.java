package dev.writ.ca.ui;

import io.javalin.config.StaticFilesConfig;
import io.javalin.http.staticfiles.Location;
import io.javalin.security.RouteRole;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The review pages at {@code /ui/} (sessions and player, access requests, audit log) and the web
 * assets they load from the jar: our own files under {@code ui/} and xterm.js from its webjar at
 * {@code /webjars/}. The pages hold no data and are open to anyone: they sign in at the OIDC
 * provider in the browser and every API they call checks the bearer. They are served with a
 * strict Content-Security-Policy: scripts and styles from this origin only, no inline script,
 * and network calls to this origin and the login issuer (discovery and token endpoint) only.
 */
public final class WebUi {

    static final String WEBJARS = "META-INF/resources/webjars";

    private final Map<String, String> pageHeaders;

    /** {@code loginIssuer}: the issuer the pages sign in at, from the CA's login config. */
    public WebUi(String loginIssuer) {
        this.pageHeaders = headers(contentSecurityPolicy(origin(loginIssuer)));
    }

    /** Serves the pages and the webjars; {@code anyone} is the role that lets every caller in. */
    public void register(StaticFilesConfig staticFiles, Set<RouteRole> anyone) {
        staticFiles.add(ui -> {
            ui.hostedPath = "/ui";
            ui.directory = "/ui";
            ui.location = Location.CLASSPATH;
            ui.headers = pageHeaders;
            ui.roles = anyone;
        });
        // what Javalin's enableWebjars() serves, with a role, since every route here must name one
        staticFiles.add(webjars -> {
            webjars.hostedPath = "/webjars";
            webjars.directory = WEBJARS;
            webjars.location = Location.CLASSPATH;
            webjars.headers = Map.of("Cache-Control", "max-age=31622400", "X-Content-Type-Options", "nosniff");
            webjars.roles = anyone;
        });
    }

    static String contentSecurityPolicy(String issuerOrigin) {
        return String.join("; ",
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                "font-src 'self'",
                "connect-src 'self' " + issuerOrigin,
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'");
    }

    private static Map<String, String> headers(String csp) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Security-Policy", csp);
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("X-Frame-Options", "DENY");
        headers.put("Referrer-Policy", "no-referrer"); // the way back from sign-in carries the code in the URL
        headers.put("Cache-Control", "no-cache");
        return Map.copyOf(headers);
    }

    /** {@code scheme://host[:port]} of the issuer: where the pages fetch discovery and trade the code. */
    static String origin(String issuer) {
        URI uri = URI.create(issuer);
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }
}
