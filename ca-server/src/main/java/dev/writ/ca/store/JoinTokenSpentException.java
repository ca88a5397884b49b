package dev.writ.ca.store;

/**
 * The join token was spent or expired by the time the certificate was to be recorded (another
 * request spent it first): nothing was recorded.
 */
public final class JoinTokenSpentException extends StoreException {
    public JoinTokenSpentException() {
        super("the join token is spent or expired", null);
    }
}
