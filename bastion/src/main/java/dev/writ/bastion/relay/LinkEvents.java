package dev.writ.bastion.relay;

import dev.writ.bastion.observe.Direction;

/** What a session learns from its relayed channels: activity (for idle timeouts and metrics), refusals, ends. */
public interface LinkEvents {

    void relayed(Direction direction, int bytes);

    /** A request on the channel was refused (not one merely declined as courtesy). */
    void refused(Refusal refusal);

    void closed(Link link);
}
