package dev.writ.ca.http;

import dev.writ.ca.recording.RecordingUploader;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.recording.RecordingReviews;
import dev.writ.ca.recording.RecordingServices;
import dev.writ.ca.recording.RecordingUploads;
import dev.writ.protocol.api.RecordingList;
import dev.writ.protocol.recording.RecordingUpload;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;

/** HTTP for {@code /v1/recordings}: uploads by bastions; search, download and verification by auditors. */
final class RecordingHandlers {

    /** What is read and dropped of an upload answered unread, when its sender proved no bastion. */
    static final long MAX_DRAIN_UNAUTHENTICATED = 1024 * 1024;

    private final RecordingServices recordings;

    RecordingHandlers(RecordingServices recordings) {
        this.recordings = recordings;
    }

    /** {@code PUT /v1/recordings/{id}}: the asciicast file, streamed (this route's body limit is its own). */
    void upload(Context ctx) throws Exception {
        String contentType = ctx.contentType();
        if (contentType != null && !contentType.startsWith(RecordingUpload.MEDIA_TYPE)
                && !contentType.startsWith("application/octet-stream")) {
            throw RequestRefused.badRequest("bad_content_type",
                    "Content-Type must be " + RecordingUpload.MEDIA_TYPE + " or application/octet-stream");
        }
        long max = recordings.uploads().maxBytes();
        if (ctx.req().getContentLengthLong() > max) {
            throw RequestRefused.tooLarge("recording_too_large", "the recording is larger than " + max
                    + " bytes (recording_max_bytes)");
        }
        var requested = new RecordingUploads.Requested(ctx.pathParam("id"), ctx.header(RecordingUpload.SHA256_HEADER),
                ctx.header(RecordingUpload.SIGNATURE_HEADER), ctx.header("Content-Range") != null, ctx.bodyInputStream());
        var bastion = Authentication.bastion(ctx);
        var upload = recordings.uploads().store(new RecordingUploader(bastion.name(), bastion.key()), requested, ctx.ip());
        ctx.status(upload.created() ? 201 : 200).contentType("application/json").result(Json.write(upload.recording()));
    }

    /**
     * After an upload was answered without its body being read (a refusal, a file stored
     * already, a body over the limit): reads and drops the rest, so that a client still sending
     * gets the answer rather than a reset connection. A bastion's body is read to its end (at
     * most four times the limit), so that it learns why its file was refused and moves on;
     * anyone else's only up to 1 MiB, past which the connection is simply closed.
     */
    void drain(Context ctx) {
        if (!"PUT".equals(ctx.method().name())) {
            return;
        }
        long max = recordings.uploads().maxBytes();
        long declared = ctx.req().getContentLengthLong();
        long limit = Authentication.isBastion(ctx) ? Math.min(Math.max(declared, max), 4 * max) : MAX_DRAIN_UNAUTHENTICATED;
        if (declared > limit) {
            return;
        }
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream body = ctx.bodyInputStream();
            for (long read = 0, n; read <= limit && (n = body.read(buffer)) > 0; read += n) {
                // dropped
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    /** {@code GET /v1/recordings?q=&user=&target=&since=&until=&limit=} */
    void search(Context ctx) throws Exception {
        var requested = new RecordingReviews.Search(Query.text(ctx, "q"), Query.text(ctx, "user"),
                Query.text(ctx, "target"), Query.time(ctx, "since"), Query.time(ctx, "until"),
                ctx.queryParam("limit") == null ? null
                        : Query.number(ctx, "limit", RecordingReviews.DEFAULT_LIMIT, 1, RecordingReviews.MAX_LIMIT));
        var found = recordings.reviews().search(Authentication.identity(ctx), requested, ctx.ip());
        ctx.contentType("application/json").result(Json.write(new RecordingList(found)));
    }

    /** {@code GET /v1/recordings/{id}}: the asciicast file, with the digest and signature the bastion sent. */
    void download(Context ctx) throws Exception {
        var viewing = recordings.reviews().view(Authentication.identity(ctx), ctx.pathParam("id"), ctx.ip());
        var recording = viewing.recording();
        ctx.contentType(RecordingUpload.MEDIA_TYPE)
                .header("Content-Disposition", "attachment; filename=\"" + recording.id() + ".cast\"")
                .header("Cache-Control", "no-store")
                .header(RecordingUpload.SHA256_HEADER, recording.sha256())
                .header(RecordingUpload.SIGNATURE_HEADER, recording.signature())
                .result(viewing.file()); // no Content-Length from the store: the file may have been altered since
    }

    /** {@code GET /v1/recordings/{id}/verify} */
    void verify(Context ctx) throws Exception {
        var verification = recordings.reviews().verify(Authentication.identity(ctx), ctx.pathParam("id"), ctx.ip());
        ctx.contentType("application/json").result(Json.write(verification));
    }
}
