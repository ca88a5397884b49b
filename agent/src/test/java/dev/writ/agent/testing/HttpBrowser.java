package dev.writ.agent.testing;

import dev.writ.agent.oidc.Browser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The browser step of a login, played by an HTTP client: it loads the authorization URL and
 * follows the redirects, the last one to writ's loopback listener, as a browser would.
 * mock-oauth2-server (non-interactive) approves at once. Variants change the request or a
 * redirect on the way, as an attacker in the middle would.
 */
public final class HttpBrowser implements Browser {

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final UnaryOperator<URI> request;
    private final UnaryOperator<URI> redirect;
    private volatile CompletableFuture<Integer> visit = CompletableFuture.completedFuture(0);

    private HttpBrowser(UnaryOperator<URI> request, UnaryOperator<URI> redirect) {
        this.request = request;
        this.redirect = redirect;
    }

    public static HttpBrowser following() {
        return new HttpBrowser(uri -> uri, uri -> uri);
    }

    /** Changes the authorization request before sending it. */
    public static HttpBrowser rewritingRequest(UnaryOperator<URI> change) {
        return new HttpBrowser(change, uri -> uri);
    }

    /** Changes each redirect before following it. */
    public static HttpBrowser rewritingRedirects(UnaryOperator<URI> change) {
        return new HttpBrowser(uri -> uri, change);
    }

    @Override
    public boolean open(URI uri) {
        visit = CompletableFuture.supplyAsync(() -> browse(request.apply(uri)));
        return true;
    }

    /** The status of the last page, once the visit has ended. */
    public int lastStatus() throws Exception {
        return visit.get();
    }

    private int browse(URI start) {
        URI uri = start;
        try {
            for (int hops = 0; hops < 10; hops++) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                var location = response.headers().firstValue("Location");
                if (response.statusCode() / 100 != 3 || location.isEmpty()) {
                    return response.statusCode();
                }
                uri = redirect.apply(uri.resolve(location.get()));
            }
            return -1;
        } catch (Exception e) {
            return -2;
        }
    }

    /** {@code uri} with one query parameter's value replaced. */
    public static URI withParameter(URI uri, String name, String value) {
        String query = uri.getRawQuery();
        StringBuilder rebuilt = new StringBuilder();
        for (String pair : query.split("&")) {
            if (rebuilt.length() > 0) {
                rebuilt.append('&');
            }
            rebuilt.append(pair.startsWith(name + "=") ? name + "=" + value : pair);
        }
        String text = uri.toString();
        return URI.create(text.substring(0, text.indexOf('?') + 1) + rebuilt);
    }
}
