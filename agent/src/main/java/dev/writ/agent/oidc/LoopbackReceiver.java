package dev.writ.agent.oidc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The redirect target of a browser login (RFC 8252 7.3): an HTTP listener on 127.0.0.1, on a port
 * the system picks, that takes the first request to {@value #PATH} and hands its query over.
 */
final class LoopbackReceiver implements AutoCloseable {

    static final String PATH = "/callback";
    private static final byte[] PAGE = """
            <!doctype html><html><head><meta charset="utf-8"><title>writ</title></head>
            <body><p>writ got the answer of the identity provider. You can close this tab and go back to the terminal.</p></body></html>
            """.getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final CompletableFuture<Map<String, String>> redirect = new CompletableFuture<>();

    private LoopbackReceiver(HttpServer server) {
        this.server = server;
    }

    static LoopbackReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        LoopbackReceiver receiver = new LoopbackReceiver(server);
        server.createContext("/", receiver::handle);
        server.start();
        return receiver;
    }

    URI redirectUri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + PATH);
    }

    /** The query parameters of the redirect, or empty when none came within {@code timeout}. */
    Optional<Map<String, String>> await(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(redirect.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the redirect receiver failed", e.getCause());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!PATH.equals(exchange.getRequestURI().getPath()) || !"GET".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, PAGE.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(PAGE);
            }
            redirect.complete(query(exchange.getRequestURI().getRawQuery()));
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> parameters = new HashMap<>();
        if (raw == null) {
            return parameters;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            parameters.putIfAbsent(name, value);
        }
        return parameters;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
