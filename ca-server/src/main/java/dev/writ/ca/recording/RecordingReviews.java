package dev.writ.ca.recording;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Recordings;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.store.StoredRecording;
import dev.writ.policy.Identity;
import dev.writ.protocol.api.RecordingVerification;
import dev.writ.protocol.api.RecordingView;
import dev.writ.protocol.recording.RecordingUpload;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What reviewers do with recordings: search them, view (download) one, verify one. The HTTP
 * layer lets only auditors in; every one of these is an audit event, so that who looked at which
 * session is itself on record.
 */
public final class RecordingReviews {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;
    public static final int MAX_HITS = 100;
    static final int MAX_QUERY = 256;

    /**
     * A search as the reviewer asked for it (untrusted); every field may be null.
     *
     * @param text   {@code q}: a substring of the output, at least 3 characters
     * @param user   {@code user}: an identity, or a prefix ending in {@code *}
     * @param target {@code target}: a target, or a prefix ending in {@code *}
     */
    public record Search(String text, String user, String target, Instant since, Instant until, Integer limit) {
    }

    /** A recording opened for viewing: its facts, and its file to stream (the caller closes it). */
    public record Viewing(StoredRecording recording, InputStream file) {
    }

    private final RecordingStorage storage;
    private final Store store;
    private final Recordings recordings;
    private final Clock clock;

    public RecordingReviews(RecordingStorage storage, Store store, Clock clock) {
        this.storage = storage;
        this.store = store;
        this.recordings = store.recordings();
        this.clock = clock;
    }

    /** {@code GET /v1/recordings}: with text, the recordings whose output contains it and where; else by filters only. */
    public List<RecordingView> search(Identity reviewer, Search requested, String client)
            throws RequestRefused, StoreException {
        String text = bounded(requested.text(), "q");
        if (text != null && text.codePointCount(0, text.length()) < 3) {
            throw RequestRefused.badRequest("bad_query", "q must have at least 3 characters");
        }
        int limit = requested.limit() == null ? DEFAULT_LIMIT : requested.limit();
        if (limit < 1 || limit > MAX_LIMIT) {
            throw RequestRefused.badRequest("bad_query", "limit must be from 1 to " + MAX_LIMIT);
        }
        Recordings.Query query = new Recordings.Query(bounded(requested.user(), "user"),
                bounded(requested.target(), "target"), requested.since(), requested.until(), text, limit, MAX_HITS);
        List<RecordingView> found = new ArrayList<>();
        if (text == null) {
            recordings.list(query).forEach(r -> found.add(RecordingViews.render(r)));
        } else {
            recordings.search(query).forEach(m -> found.add(RecordingViews.render(m, text)));
        }
        Map<String, Object> details = new LinkedHashMap<>();
        putIfPresent(details, "q", text);
        putIfPresent(details, "user", query.identity());
        putIfPresent(details, "target", query.target());
        putIfPresent(details, "since", requested.since());
        putIfPresent(details, "until", requested.until());
        details.put("results", found.size());
        audit(reviewer, "recording.searched", AuditEvent.Outcome.ok, client, details);
        return found;
    }

    /** {@code GET /v1/recordings/{id}}: the file, once the viewing is on record. */
    public Viewing view(Identity reviewer, String id, String client) throws RequestRefused, StoreException {
        StoredRecording recording = find(id);
        InputStream file;
        try {
            file = storage.open(recording.file());
        } catch (IOException e) {
            throw RequestRefused.unavailable("recording_unreadable", "the file of recording " + id
                    + " cannot be read; GET /v1/recordings/" + id + "/verify says more");
        }
        try {
            audit(reviewer, "recording.viewed", AuditEvent.Outcome.ok, client, about(recording));
        } catch (StoreException | RuntimeException e) {
            closeQuietly(file); // not on record, so not shown
            throw e;
        }
        return new Viewing(recording, file);
    }

    /** {@code GET /v1/recordings/{id}/verify}: the file against the signed digest, the signature against the bastion's key. */
    public RecordingVerification verify(Identity reviewer, String id, String client) throws RequestRefused, StoreException {
        StoredRecording r = find(id);
        String actual = null;
        String problem = null;
        try {
            actual = sha256(r.file());
        } catch (NoSuchFileException e) {
            problem = "the recording's file is missing";
        } catch (IOException e) {
            problem = "the recording's file cannot be read: " + e.getClass().getSimpleName();
        }
        boolean digestOk = r.sha256().equals(actual);
        if (problem == null && !digestOk) {
            problem = "the file's SHA-256 is " + actual + ", not the " + r.sha256() + " that bastion " + r.bastion() + " signed";
        }
        boolean signatureOk = signatureValid(r);
        if (problem == null && !signatureOk) {
            problem = "the signature does not verify with bastion " + r.bastion() + "'s key";
        }
        boolean ok = digestOk && signatureOk;
        Map<String, Object> details = about(r);
        details.put("ok", ok);
        putIfPresent(details, "problem", problem);
        audit(reviewer, "recording.verified", ok ? AuditEvent.Outcome.ok : AuditEvent.Outcome.error, client, details);
        return new RecordingVerification(r.id(), ok, r.sha256(), actual, digestOk, signatureOk, r.signature(),
                r.bastion(), r.bastionKey(), problem);
    }

    /** The digest of a kept file as it is now, streamed from the storage. */
    private String sha256(String name) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(storage.open(name), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    private static void closeQuietly(InputStream file) {
        try {
            file.close();
        } catch (IOException e) {
            // nothing was read from it
        }
    }

    private static boolean signatureValid(StoredRecording r) {
        try {
            return RecordingUpload.verify(PublicKeys.parse(r.bastionKey()), HexFormat.of().parseHex(r.sha256()),
                    Base64.getDecoder().decode(r.signature()));
        } catch (InvalidKeyException | IllegalArgumentException e) {
            return false;
        }
    }

    private StoredRecording find(String id) throws RequestRefused, StoreException {
        if (id == null || !RecordingUploads.ID.matcher(id).matches()) {
            throw RequestRefused.notFound("no_such_recording", "no such recording");
        }
        return recordings.find(id).orElseThrow(() -> RequestRefused.notFound("no_such_recording", "no recording " + id));
    }

    private void audit(Identity reviewer, String type, AuditEvent.Outcome outcome, String client,
                       Map<String, Object> details) throws StoreException {
        store.audit(new AuditEvent(clock.instant(), type, reviewer.name(), outcome, client, details));
    }

    private static Map<String, Object> about(StoredRecording r) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("id", r.id());
        details.put("session_id", r.sessionId());
        details.put("identity", r.identity());
        details.put("target", r.target());
        return details;
    }

    private static String bounded(String value, String name) throws RequestRefused {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > MAX_QUERY) {
            throw RequestRefused.badRequest("bad_query", name + " must be at most " + MAX_QUERY + " characters");
        }
        return value;
    }

    private static void putIfPresent(Map<String, Object> details, String key, Object value) {
        if (value != null) {
            details.put(key, value.toString());
        }
    }
}
