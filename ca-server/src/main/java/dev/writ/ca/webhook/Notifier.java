package dev.writ.ca.webhook;

/** Announces an event to whoever subscribed to it, without waiting for them. */
@FunctionalInterface
public interface Notifier {

    /** {@code payload} is rendered as JSON; it never holds a token or key. Returns at once. */
    void publish(String event, Object payload);

    Notifier NONE = (event, payload) -> { };
}
