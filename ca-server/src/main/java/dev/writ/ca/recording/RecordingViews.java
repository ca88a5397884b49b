package dev.writ.ca.recording;

import dev.writ.ca.store.Recordings;
import dev.writ.ca.store.StoredRecording;
import dev.writ.protocol.api.RecordingView;
import dev.writ.protocol.api.RecordingView.RecordingHit;
import java.util.List;
import java.util.Locale;

/** Stored recordings as the API shows them, with search hits shortened to snippets around the match. */
final class RecordingViews {

    /** Characters of context kept on each side of a match. */
    static final int CONTEXT = 60;

    private RecordingViews() {
    }

    static RecordingView render(StoredRecording r) {
        return render(r, null, null, null);
    }

    static RecordingView render(Recordings.Match match, String query) {
        List<RecordingHit> hits = match.hits().stream()
                .map(hit -> new RecordingHit(hit.offsetMs() / 1000.0, snippet(hit.text(), query)))
                .toList();
        return render(match.recording(), hits, match.hitCount(), query);
    }

    private static RecordingView render(StoredRecording r, List<RecordingHit> hits, Integer hitCount, String query) {
        return new RecordingView(r.id(), r.sessionId(), r.identity(), r.login(), r.target(), r.serial(), r.grant(),
                r.clientAddress(), r.startedAt().toString(), r.endedAt().toString(), r.duration().toMillis() / 1000.0,
                r.size(), r.truncated(), r.width(), r.height(), r.sha256(), r.bastion(), r.storedAt().toString(),
                hits, hitCount);
    }

    /** The line around the first case-insensitive occurrence of {@code query}, with "…" where it was cut. */
    static String snippet(String line, String query) {
        int at = line.toLowerCase(Locale.ROOT).indexOf(query.toLowerCase(Locale.ROOT));
        if (at < 0) {
            at = 0; // case folding changed the length: show the start
        }
        int from = Math.max(0, at - CONTEXT);
        int to = Math.min(line.length(), at + query.length() + CONTEXT);
        return (from > 0 ? "…" : "") + line.substring(from, to) + (to < line.length() ? "…" : "");
    }
}
