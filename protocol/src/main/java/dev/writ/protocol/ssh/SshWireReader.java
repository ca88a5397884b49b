package dev.writ.protocol.ssh;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cursor over one level of the SSH wire encoding (RFC 4251 section 5) that refuses instead of
 * guessing: a length past the end, a NUL inside a name, a non-canonical integer, bytes left over.
 * {@code what} names the level in messages ("certificate", "certificate's extensions").
 */
final class SshWireReader {

    /** OpenSSH's SSHBUF_MAX_BIGNUM: no integer in a key or signature is longer. */
    static final int MAX_INTEGER_BITS = 16384;

    private final byte[] bytes;
    private final boolean outermost;
    private String what;
    private int position;

    SshWireReader(byte[] bytes, String what, boolean outermost) {
        this.bytes = bytes;
        this.what = what;
        this.outermost = outermost;
    }

    /** Renames the level once its type is known: "key" becomes "certificate". */
    void what(String name) {
        what = name;
    }

    boolean more() {
        return position < bytes.length;
    }

    int uint8(String field) throws MalformedKeyException {
        return fixed(1, field)[0] & 0xff;
    }

    long uint32(String field) throws MalformedKeyException {
        byte[] raw = fixed(4, field);
        return ((raw[0] & 0xffL) << 24) | ((raw[1] & 0xffL) << 16) | ((raw[2] & 0xffL) << 8) | (raw[3] & 0xffL);
    }

    void uint64(String field) throws MalformedKeyException {
        fixed(8, field);
    }

    byte[] string(String field) throws MalformedKeyException {
        long length = uint32("length of the " + field);
        if (length > bytes.length - position) {
            throw ended(field);
        }
        byte[] value = Arrays.copyOfRange(bytes, position, position + (int) length);
        position += (int) length;
        return value;
    }

    /** A string that is a name or text: OpenSSH's {@code sshbuf_get_cstring} refuses a NUL inside. */
    byte[] name(String field) throws MalformedKeyException {
        byte[] value = string(field);
        for (byte b : value) {
            if (b == 0) {
                throw new MalformedKeyException("the " + field + " contains a NUL byte", false);
            }
        }
        return value;
    }

    /** An mpint: non-negative, as OpenSSH requires, and canonical (no needless leading zero), as RFC 4251 does. */
    BigInteger mpint(String field) throws MalformedKeyException {
        byte[] value = string(field);
        if (value.length > 0 && (value[0] & 0x80) != 0) {
            throw new MalformedKeyException("the " + field + " is negative", false);
        }
        if (value.length > 0 && value[0] == 0 && (value.length == 1 || (value[1] & 0x80) == 0)) {
            throw new MalformedKeyException("the " + field + " has an unnecessary leading zero byte", false);
        }
        BigInteger integer = new BigInteger(1, value);
        if (integer.bitLength() > MAX_INTEGER_BITS) {
            throw new MalformedKeyException("the " + field + " is longer than " + MAX_INTEGER_BITS + " bits", false);
        }
        return integer;
    }

    /** The string {@code field} read as the next level down, named {@code name}. */
    SshWireReader nested(String field, String name) throws MalformedKeyException {
        return new SshWireReader(string(field), name, false);
    }

    /** Nothing may follow the last field. */
    void end() throws MalformedKeyException {
        if (more()) {
            int extra = bytes.length - position;
            throw new MalformedKeyException(extra + (extra == 1 ? " byte" : " bytes") + " after the end of the " + what, false);
        }
    }

    private byte[] fixed(int length, String field) throws MalformedKeyException {
        if (length > bytes.length - position) {
            throw ended(field);
        }
        byte[] value = Arrays.copyOfRange(bytes, position, position + length);
        position += length;
        return value;
    }

    private MalformedKeyException ended(String field) {
        return new MalformedKeyException("truncated " + field + " in the " + what, outermost);
    }

    /** Client text for a message: printable ASCII only, at most 64 characters. */
    static String printable(byte[] text) {
        String cleaned = new String(text, StandardCharsets.UTF_8).replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
