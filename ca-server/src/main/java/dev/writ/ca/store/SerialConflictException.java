package dev.writ.ca.store;

/** A certificate with this serial is already stored: sign again with another serial. */
public final class SerialConflictException extends StoreException {
    public SerialConflictException(long serial) {
        super("serial " + Long.toUnsignedString(serial) + " is already used", null);
    }
}
