package dev.writ.bastion.sftp;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict reads from one SFTP packet (its length prefix skipped): every field in bounds, nothing left over. */
final class Reader {

    private final byte[] packet;
    private int at = 4;

    Reader(byte[] packet) {
        this.packet = packet;
    }

    int remaining() {
        return packet.length - at;
    }

    int u8() throws SftpFilter.Malformed {
        need(1);
        return packet[at++] & 0xff;
    }

    long u32() throws SftpFilter.Malformed {
        need(4);
        long value = ((packet[at] & 0xffL) << 24) | ((packet[at + 1] & 0xff) << 16) | ((packet[at + 2] & 0xff) << 8)
                | (packet[at + 3] & 0xff);
        at += 4;
        return value;
    }

    long u64() throws SftpFilter.Malformed {
        return (u32() << 32) | u32();
    }

    byte[] string() throws SftpFilter.Malformed {
        long length = u32();
        if (length > remaining()) {
            throw new SftpFilter.Malformed("sftp string longer than its packet");
        }
        byte[] value = java.util.Arrays.copyOfRange(packet, at, at + (int) length);
        at += (int) length;
        return value;
    }

    /** A path or a name: UTF-8 without NUL. */
    String text() throws SftpFilter.Malformed {
        byte[] bytes = string();
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            if (text.indexOf('\0') >= 0) {
                throw new SftpFilter.Malformed("sftp path with a NUL byte");
            }
            return text;
        } catch (CharacterCodingException e) {
            throw new SftpFilter.Malformed("sftp path that is not UTF-8");
        }
    }

    /** A handle, as a key (its bytes one char each). */
    String handle() throws SftpFilter.Malformed {
        byte[] bytes = string();
        if (bytes.length > 256) {
            throw new SftpFilter.Malformed("sftp handle longer than 256 bytes");
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** File attributes (SFTP v3, section 5), read and dropped. */
    void attrs() throws SftpFilter.Malformed {
        long flags = u32();
        if ((flags & ~0x8000000fL) != 0) {
            throw new SftpFilter.Malformed("unknown sftp attribute flags");
        }
        if ((flags & 0x1) != 0) {
            u64();
        }
        if ((flags & 0x2) != 0) {
            u32();
            u32();
        }
        if ((flags & 0x4) != 0) {
            u32();
        }
        if ((flags & 0x8) != 0) {
            u32();
            u32();
        }
        if ((flags & 0x80000000L) != 0) {
            long count = u32();
            if (count > remaining()) {
                throw new SftpFilter.Malformed("sftp extended attribute count beyond its packet");
            }
            for (long i = 0; i < count; i++) {
                string();
                string();
            }
        }
    }

    /** Nothing may follow the last field. */
    void end() throws SftpFilter.Malformed {
        if (remaining() != 0) {
            throw new SftpFilter.Malformed("sftp packet with " + remaining() + " bytes after its last field");
        }
    }

    private void need(int n) throws SftpFilter.Malformed {
        if (remaining() < n) {
            throw new SftpFilter.Malformed("truncated sftp packet");
        }
    }

    static void putU32(ByteArrayOutputStream out, long value) {
        out.write((int) (value >>> 24));
        out.write((int) (value >>> 16));
        out.write((int) (value >>> 8));
        out.write((int) value);
    }

    /** What a client sent, for logs and audit: short printable ASCII. */
    static String printable(String text) {
        String cleaned = String.valueOf(text).replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 128 ? cleaned.substring(0, 128) + "..." : cleaned;
    }
}
