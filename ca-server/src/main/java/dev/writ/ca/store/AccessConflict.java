package dev.writ.ca.store;

/**
 * A write refused because of what is stored: the access request does not exist, or is no longer
 * in the state the change needs (another reviewer, a sweep or the requester got there first).
 * Nothing of the refused write was kept. The message is safe to show the client.
 */
public final class AccessConflict extends StoreException {

    public enum Kind { NOT_FOUND, CONFLICT }

    private final Kind kind;

    private AccessConflict(Kind kind, String message) {
        super(message, null);
        this.kind = kind;
    }

    public static AccessConflict notFound(String message) {
        return new AccessConflict(Kind.NOT_FOUND, message);
    }

    public static AccessConflict conflict(String message) {
        return new AccessConflict(Kind.CONFLICT, message);
    }

    public Kind kind() {
        return kind;
    }
}
