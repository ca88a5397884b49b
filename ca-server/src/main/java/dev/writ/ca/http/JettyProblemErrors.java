package dev.writ.ca.http;

import dev.writ.protocol.api.Problem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Requests Jetty refuses before Javalin sees them (a malformed header, an oversized URI) get a
 * problem document too, never Jetty's HTML page. Extending {@link ErrorHandler} is Jetty's own
 * hook for this; there is no interface to implement instead.
 */
public final class JettyProblemErrors extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
        response.write(true, body(code, message), callback);
    }

    /** A problem document whatever the method: Jetty's default writes none for PUT and DELETE. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
        return body(status, reason);
    }

    private static ByteBuffer body(int code, String message) {
        String detail = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        String json = Json.write(new Problem("https://writ.dev/problems/http_" + code, HttpStatus.getMessage(code), code,
                "the request was refused by the HTTP layer: " + detail));
        return ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
    }
}
