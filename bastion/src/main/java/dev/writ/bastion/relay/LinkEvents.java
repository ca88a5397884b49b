package dev.writ.bastion.relay;

import dev.writ.bastion.observe.Direction;

/** What a session learns from its relayed channels: activity (for idle timeouts and metrics), refusals, ends. */
public interface LinkEvents {

    void relayed(Direction direction, int bytes);

    void refused(String requestType, String reason);

    void closed(Link link);
}
