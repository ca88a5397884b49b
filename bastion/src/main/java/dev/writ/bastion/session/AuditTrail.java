package dev.writ.bastion.session;

import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.auth.Verdict;
import dev.writ.bastion.audit.AuditSpool;
import dev.writ.bastion.observe.RecordingLoss;
import dev.writ.bastion.relay.Refusal;
import dev.writ.protocol.api.BastionAuditEvent;
import dev.writ.protocol.recording.RecordingUpload;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bastion's events for the CA's audit log, written to the {@link AuditSpool} (which the
 * {@link dev.writ.bastion.audit.AuditUploader} empties into the CA). It never fails a session, and
 * holds one up only while its event is written and synced to disk.
 */
public final class AuditTrail {

    private final AuditSpool spool;

    public AuditTrail(AuditSpool spool) {
        this.spool = spool;
    }

    void loginRefused(Verdict.Refused refusal, String username, SocketAddress client, int keysRefused) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("user_name", printable(username));
        details.put("detail", refusal.detail());
        if (refusal.serial() != null) {
            details.put("serial", refusal.serial());
        }
        details.put("keys_refused", Integer.toString(keysRefused));
        send("login.refused", "refused", refusal.identity(), client, refusal.reason(), details);
    }

    void loginRefused(Grant grant, SocketAddress client, String reason, String detail) {
        Map<String, String> details = details(grant, null);
        details.put("detail", detail);
        send("login.refused", "refused", grant.identity(), client, reason, details);
    }

    /** {@code request}: the channel or request type; {@code request_kind}: channel_open, channel_request or global_request. */
    void channelRefused(ActiveSession session, Refusal refusal) {
        Map<String, String> details = details(session.grant(), session.id());
        details.put("request", printable(refusal.type()));
        details.put("request_kind", refusal.asked().auditName());
        if (refusal.requested() != null) {
            details.put("requested", printable(refusal.requested()));
        }
        send("channel.refused", "refused", session.grant().identity(), session.downstream().getClientAddress(), refusal.reason(),
                details);
    }

    void started(ActiveSession session) {
        send("session.started", "ok", session.grant().identity(), session.downstream().getClientAddress(), null,
                details(session.grant(), session.id()));
    }

    void ended(ActiveSession session, String reason, long seconds) {
        Map<String, String> details = details(session.grant(), session.id());
        details.put("duration_seconds", Long.toString(seconds));
        details.put("bytes_to_target", Long.toString(session.bytesToTarget()));
        details.put("bytes_to_client", Long.toString(session.bytesToClient()));
        if (session.upstreamFailure() != null) {
            details.put("detail", printable(session.upstreamFailure()));
        }
        RecordingLoss lost = session.recordingLoss();
        if (lost.bytes() > 0) {
            // best effort: the session went on without a complete recording; the recordings mark the gaps
            details.put("recording_bytes_lost", Long.toString(lost.bytes()));
            details.put("recording_problem", printable(lost.reason()));
        }
        send("session.ended", "ok", session.grant().identity(), session.downstream().getClientAddress(), reason, details);
    }

    /**
     * The sessions a crash (or kill -9) of the bastion ended, as their unfinished recordings tell:
     * one {@code session.ended} each, reason {@code bastion_stopped}, so that the audit log closes
     * what it opened. Sessions without a recording leave no trace to report.
     */
    public void endedByCrash(List<Map<String, String>> recordings) {
        Map<String, Map<String, String>> sessions = new LinkedHashMap<>();
        for (Map<String, String> facts : recordings) {
            String id = facts.get(RecordingUpload.SESSION_ID);
            if (id != null) {
                sessions.putIfAbsent(id, facts);
            }
        }
        for (Map.Entry<String, Map<String, String>> session : sessions.entrySet()) {
            Map<String, String> facts = session.getValue();
            Map<String, String> details = new LinkedHashMap<>();
            details.put("session_id", printable(session.getKey()));
            for (String fact : List.of(RecordingUpload.LOGIN, RecordingUpload.TARGET, RecordingUpload.SERIAL)) {
                if (facts.get(fact) != null) {
                    details.put(fact, printable(facts.get(fact)));
                }
            }
            details.put("detail", "the bastion stopped during the session; its recordings end at their last flush");
            spool.append(new BastionAuditEvent("session.ended", "error", printable(facts.getOrDefault(RecordingUpload.IDENTITY,
                    "unknown")), facts.get(RecordingUpload.CLIENT_ADDRESS), "bastion_stopped", details));
        }
    }

    private static Map<String, String> details(Grant grant, String sessionId) {
        Map<String, String> details = new LinkedHashMap<>();
        if (sessionId != null) {
            details.put("session_id", sessionId);
        }
        details.put("kind", grant.kind().name().toLowerCase());
        details.put("serial", grant.serialText());
        if (grant.login() != null) {
            details.put("login", grant.login());
        }
        if (grant.target() != null) {
            details.put("target", grant.target().name());
        }
        return details;
    }

    private void send(String type, String outcome, String actor, SocketAddress client, String reason, Map<String, String> details) {
        spool.append(new BastionAuditEvent(type, outcome, actor == null ? "unknown" : actor, address(client), reason, details));
    }

    /** The engineer's address as the CA records it: the IP alone. */
    static String address(SocketAddress client) {
        return client instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : String.valueOf(client);
    }

    private static String printable(String text) {
        String cleaned = String.valueOf(text).replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 128 ? cleaned.substring(0, 128) + "..." : cleaned;
    }
}
