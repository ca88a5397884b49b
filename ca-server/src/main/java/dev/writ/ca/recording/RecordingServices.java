package dev.writ.ca.recording;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.config.RecordingsConfig;
import dev.writ.ca.store.Store;
import java.io.IOException;
import java.time.Clock;

/**
 * The services behind {@code /v1/recordings}, built together because they share the recording
 * storage: uploads by bastions (authenticated like every bastion call, see {@code session.BastionAssertions}),
 * and search, viewing and verification by reviewers.
 */
public record RecordingServices(RecordingUploads uploads, RecordingReviews reviews, RecordingStorage storage)
        implements AutoCloseable {

    /** Opens the storage the config names: a failure's message says what is wrong, in one line. */
    public static RecordingServices create(CaConfig config, Store store, Clock clock) throws IOException {
        RecordingsConfig recordings = config.recordings();
        RecordingStorage storage = recordings.store() == RecordingsConfig.Kind.s3
                ? S3RecordingStorage.open(recordings, S3RecordingStorage.processEnvironment())
                : RecordingFiles.open(recordings.directory());
        return new RecordingServices(new RecordingUploads(storage, store, config.recordingMaxBytes(), clock),
                new RecordingReviews(storage, store, clock), storage);
    }

    @Override
    public void close() {
        storage.close();
    }
}
