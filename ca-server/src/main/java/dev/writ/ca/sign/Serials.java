package dev.writ.ca.sign;

import java.security.SecureRandom;

/** Random non-zero 64-bit certificate serials; uniqueness is enforced by the store. */
public final class Serials {

    private final SecureRandom random = new SecureRandom();

    public long next() {
        long serial;
        do {
            serial = random.nextLong();
        } while (serial == 0);
        return serial;
    }

    /** The unsigned decimal form that {@code ssh-keygen -L} prints and the API returns. */
    public static String format(long serial) {
        return Long.toUnsignedString(serial);
    }
}
