package dev.writ.ca.recording;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.store.Store;
import java.io.IOException;
import java.time.Clock;

/**
 * The services behind {@code /v1/recordings}, built together because they share the recording
 * files: uploads by bastions, and search, viewing and verification by reviewers.
 *
 * @param bastions who may upload: "which bastion is this and what is its public key?"
 */
public record RecordingServices(RecordingUploads uploads, RecordingReviews reviews, BastionAuthenticator bastions) {

    public static RecordingServices create(CaConfig config, Store store, Clock clock) throws IOException {
        return create(config, store, clock, new ConfiguredBastions(config.bastions(), clock));
    }

    public static RecordingServices create(CaConfig config, Store store, Clock clock, BastionAuthenticator bastions)
            throws IOException {
        RecordingFiles files = RecordingFiles.open(config.recordings());
        return new RecordingServices(new RecordingUploads(files, store, config.recordingMaxBytes(), clock),
                new RecordingReviews(files, store, clock), bastions);
    }
}
