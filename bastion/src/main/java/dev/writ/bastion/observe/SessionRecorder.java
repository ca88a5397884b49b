package dev.writ.bastion.observe;

/**
 * Decides how each relayed channel is observed; the recording issue implements it (asciicast
 * files for PTY channels, events for exec and subsystems). Until then, {@link #NONE}.
 */
@FunctionalInterface
public interface SessionRecorder {

    ChannelObserver channelOpened(ChannelInfo channel);

    /** Records nothing. */
    SessionRecorder NONE = channel -> ChannelObserver.NONE;
}
