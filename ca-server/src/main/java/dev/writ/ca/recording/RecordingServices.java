package dev.writ.ca.recording;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.store.Store;
import java.io.IOException;
import java.time.Clock;

/**
 * The services behind {@code /v1/recordings}, built together because they share the recording
 * files: uploads by bastions (authenticated like every bastion call, see {@code session.BastionAssertions}),
 * and search, viewing and verification by reviewers.
 */
public record RecordingServices(RecordingUploads uploads, RecordingReviews reviews) {

    public static RecordingServices create(CaConfig config, Store store, Clock clock) throws IOException {
        RecordingFiles files = RecordingFiles.open(config.recordings());
        return new RecordingServices(new RecordingUploads(files, store, config.recordingMaxBytes(), clock),
                new RecordingReviews(files, store, clock));
    }
}
