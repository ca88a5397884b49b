package dev.writ.ca.store;

/** The store could not complete a read or write; nothing of the write was kept. */
public class StoreException extends Exception {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
