package dev.writ.bastion.observe;

import dev.writ.policy.RecordingMode;

/**
 * Decides how each relayed channel is observed: {@code dev.writ.bastion.record.Recorder} writes
 * asciicast files for terminals and events for the rest; {@link #NONE} records nothing.
 */
@FunctionalInterface
public interface SessionRecorder {

    /** The observer of a new channel; {@code session} lets it end the session when recording fails (strict mode). */
    ChannelObserver channelOpened(ChannelInfo channel, SessionControl session);

    /**
     * Why a session (or a new channel) under {@code mode} cannot be recorded right now, for the
     * engineer's terminal; null when it can. Strict sessions are refused while the spool cannot
     * be written.
     */
    default String unavailableFor(RecordingMode mode) {
        return null;
    }

    /** Records nothing. */
    SessionRecorder NONE = (channel, session) -> ChannelObserver.NONE;
}
