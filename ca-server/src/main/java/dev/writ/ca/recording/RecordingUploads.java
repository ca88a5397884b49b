package dev.writ.ca.recording;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.recording.RecordingIndexer.BadRecording;
import dev.writ.ca.recording.RecordingIndexer.Indexed;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Recordings;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.store.StoredRecording;
import dev.writ.protocol.api.RecordingView;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT /v1/recordings/{id}}: a bastion hands over a finished recording. The pipeline reads
 * top to bottom: parse what the bastion sent (untrusted) → check its signature over the digest it
 * claims → answer a repeated upload from the store → receive the body into the storage while
 * hashing it and indexing its text (one pass, one buffer at a time: the recording is never whole
 * in memory) → compare the digest → refuse what is not a recording → keep the file → store its
 * row with its audit event in one transaction. Any refusal before the last step leaves nothing
 * behind: the file is not kept and the lines indexed are found by no search, and deleted.
 */
public final class RecordingUploads {

    private static final Logger LOG = LoggerFactory.getLogger(RecordingUploads.class);
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /**
     * What the bastion sent; nothing in it is trusted until checked.
     *
     * @param partial whether the request carried a {@code Content-Range}: refused, a resumed
     *                upload sends the whole file again
     */
    public record Requested(String id, String sha256, String signature, boolean partial, InputStream body) {
    }

    /** The stored recording, and whether this upload stored it (false: it was there already). */
    public record Upload(RecordingView recording, boolean created) {
    }

    private final RecordingStorage storage;
    private final Store store;
    private final Recordings recordings;
    private final long maxBytes;
    private final Clock clock;

    public RecordingUploads(RecordingStorage storage, Store store, long maxBytes, Clock clock) {
        this.storage = storage;
        this.store = store;
        this.recordings = store.recordings();
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public Upload store(RecordingUploader bastion, Requested requested, String client)
            throws RequestRefused, StoreException {
        // 1. parse what the bastion sent
        String id = id(requested.id());
        if (requested.partial()) {
            throw RequestRefused.badRequest("partial_upload", "Content-Range is not supported: PUT the whole file again");
        }
        byte[] digest = digest(requested.sha256());
        String sha256 = HexFormat.of().formatHex(digest);
        byte[] signature = signature(requested.signature());
        // 2. the signature must be this bastion's, over the digest it claims
        if (!RecordingUpload.verify(bastion.publicKey(), digest, signature)) {
            throw RequestRefused.unauthorized("bad_recording_signature",
                    "the " + RecordingUpload.SIGNATURE_HEADER + " is not bastion " + bastion.name() + "'s signature over the digest");
        }
        // 3. an upload of a stored id is answered from the store: the same digest again is fine
        Optional<StoredRecording> stored = recordings.find(id);
        if (stored.isPresent()) {
            return repeated(bastion, stored.get(), sha256, client);
        }
        // 4. receive the body into the storage while hashing and indexing it, 5. it must be what was signed,
        // 6. and a recording; 7. keep the file, then store its row with its audit event
        try (RecordingStorage.Receiving target = storage.receive(id, sha256);
             Recordings.Indexing indexing = recordings.indexing()) {
            UploadBody body = new UploadBody(requested.body(), maxBytes, target);
            Indexed indexed = null;
            BadRecording bad = null;
            try {
                indexed = RecordingIndexer.read(body, indexing::add);
            } catch (BadRecording e) {
                bad = e;
                body.drain(); // its digest decides which refusal it gets
            }
            String received = body.sha256();
            if (!received.equals(sha256)) {
                throw RequestRefused.badRequest("digest_mismatch", "the body's SHA-256 is " + received
                        + ", not the " + RecordingUpload.SHA256_HEADER + " " + sha256 + " that was signed");
            }
            if (bad != null) {
                throw RequestRefused.badRequest("bad_recording", "not a writ recording: " + bad.getMessage());
            }
            return keep(bastion, id, target, indexing, indexed, body.size(), sha256,
                    Base64.getEncoder().encodeToString(signature), client);
        } catch (UploadBody.TooLarge e) {
            throw RequestRefused.tooLarge("recording_too_large", "the recording is larger than " + maxBytes
                    + " bytes (recording_max_bytes)");
        } catch (UploadBody.BodyUnreadable e) {
            throw RequestRefused.badRequest("body_unreadable", "the request body could not be read to its end");
        } catch (IOException e) {
            LOG.error("cannot receive recording {} into {}: {}", id, storage.describe(), e.getMessage());
            throw RequestRefused.unavailable("recording_storage", "the CA cannot store recordings right now; retry later");
        }
    }

    private Upload keep(RecordingUploader bastion, String id, RecordingStorage.Receiving target,
                        Recordings.Indexing indexing, Indexed indexed, long size, String sha256, String signature,
                        String client) throws RequestRefused, StoreException {
        String file;
        try {
            file = target.keep();
        } catch (IOException e) {
            LOG.error("cannot keep recording {} in {}: {}", id, storage.describe(), e.getMessage());
            throw RequestRefused.unavailable("recording_storage", "the CA cannot store recordings right now; retry later");
        }
        Map<String, String> facts = indexed.facts();
        StoredRecording recording = new StoredRecording(0, id, facts.get(RecordingUpload.SESSION_ID),
                facts.get(RecordingUpload.IDENTITY), facts.get(RecordingUpload.LOGIN), facts.get(RecordingUpload.TARGET),
                facts.get(RecordingUpload.SERIAL), facts.get(RecordingUpload.GRANT), facts.get(RecordingUpload.CLIENT_ADDRESS),
                indexed.startedAt(), indexed.endedAt(), size, indexed.truncated(), indexed.header().width(),
                indexed.header().height(), sha256, signature, bastion.name(), bastion.publicKeyLine(), file,
                clock.instant(), indexed.lines());
        Recordings.Insert insert = indexing.finish(recording, stored(bastion, recording, client));
        if (!insert.created()) {
            // another upload of this id committed first; a file of another digest is ours alone
            if (!insert.recording().file().equals(file)) {
                deleteQuietly(file);
            }
            return repeated(bastion, insert.recording(), sha256, client);
        }
        LOG.info("stored recording {} of {} on {} ({} bytes) from bastion {}", id, recording.identity(),
                recording.target(), recording.size(), bastion.name());
        return new Upload(RecordingViews.render(insert.recording()), true);
    }

    private Upload repeated(RecordingUploader bastion, StoredRecording stored, String sha256, String client)
            throws RequestRefused, StoreException {
        if (!stored.sha256().equals(sha256)) {
            throw RequestRefused.conflict("recording_exists", "recording " + stored.id()
                    + " is stored already with another digest (" + stored.sha256() + ")");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("id", stored.id());
        details.put("sha256", stored.sha256());
        details.put("repeated", true);
        store.audit(new AuditEvent(clock.instant(), "recording.stored", actor(bastion), AuditEvent.Outcome.ok,
                client, details));
        return new Upload(RecordingViews.render(stored), false);
    }

    private static AuditEvent stored(RecordingUploader bastion, StoredRecording r, String client) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("id", r.id());
        details.put("session_id", r.sessionId());
        details.put("identity", r.identity());
        details.put("login", r.login());
        details.put("target", r.target());
        details.put("size", r.size());
        details.put("sha256", r.sha256());
        details.put("signature", r.signature()); // the bastion's, over sha256: the chain then carries the signed digest
        details.put("truncated", r.truncated());
        details.put("lines", r.lines());
        return new AuditEvent(r.storedAt(), "recording.stored", actor(bastion), AuditEvent.Outcome.ok, client, details);
    }

    static String actor(RecordingUploader bastion) {
        return "bastion:" + bastion.name();
    }

    private static String id(String requested) throws RequestRefused {
        if (requested == null || !ID.matcher(requested).matches()) {
            throw RequestRefused.badRequest("bad_recording_id",
                    "a recording id is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return requested;
    }

    private static byte[] digest(String requested) throws RequestRefused {
        if (requested == null || !requested.matches("[0-9a-fA-F]{64}")) {
            throw RequestRefused.badRequest("bad_recording_digest",
                    RecordingUpload.SHA256_HEADER + " must be the file's SHA-256 as 64 hex digits");
        }
        return HexFormat.of().parseHex(requested.toLowerCase(java.util.Locale.ROOT));
    }

    private static byte[] signature(String requested) throws RequestRefused {
        try {
            if (requested != null && !requested.isBlank() && requested.length() <= 1024) {
                return Base64.getDecoder().decode(requested.strip());
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw RequestRefused.badRequest("bad_recording_signature",
                RecordingUpload.SIGNATURE_HEADER + " must be the bastion's signature over the digest, in base64");
    }

    private void deleteQuietly(String file) {
        try {
            storage.delete(file);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", file, e.toString());
        }
    }
}
