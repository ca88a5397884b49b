package dev.writ.protocol.krl;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/** Reads {@link Krl}'s binary form; every length is checked by MINA's buffer before it is used. */
final class KrlDecoder {

    private KrlDecoder() {
    }

    static Krl decode(Buffer in) throws KrlFormatException, IOException, GeneralSecurityException {
        byte[] magic = new byte[Krl.MAGIC.length];
        if (in.available() < magic.length) {
            throw new KrlFormatException("not a KRL: too short");
        }
        in.getRawBytes(magic);
        if (!Arrays.equals(magic, Krl.MAGIC)) {
            throw new KrlFormatException("not a KRL: bad magic");
        }
        long format = in.getUInt();
        if (format != Krl.FORMAT_VERSION) {
            throw new KrlFormatException("unsupported KRL format version " + format);
        }
        long version = in.getLong();
        long generated = in.getLong();
        in.getLong(); // flags: none defined
        in.getBytes(); // reserved
        String comment = in.getString();
        List<Krl.CertificateRevocations> certificates = new ArrayList<>();
        Set<String> fingerprints = new HashSet<>();
        while (in.available() > 0) {
            int type = in.getUByte();
            Buffer section = new ByteArrayBuffer(in.getBytes());
            switch (type) {
                case Krl.SECTION_CERTIFICATES -> certificates.add(certificates(section));
                case Krl.SECTION_EXPLICIT_KEY -> {
                    while (section.available() > 0) {
                        fingerprints.add(Krl.fingerprint(new ByteArrayBuffer(section.getBytes()).getRawPublicKey()));
                    }
                }
                case Krl.SECTION_FINGERPRINT_SHA256 -> {
                    while (section.available() > 0) {
                        byte[] raw = section.getBytes();
                        if (raw.length != 32) {
                            throw new KrlFormatException("a SHA256 fingerprint has 32 bytes, not " + raw.length);
                        }
                        fingerprints.add("SHA256:" + java.util.Base64.getEncoder().withoutPadding().encodeToString(raw));
                    }
                }
                case Krl.SECTION_SIGNATURE ->
                        throw new KrlFormatException("signed KRLs are not supported (the list comes over TLS from the CA)");
                default -> throw new KrlFormatException("unsupported KRL section type " + type);
            }
        }
        return new Krl(version, Instant.ofEpochSecond(generated), comment, certificates, fingerprints);
    }

    private static Krl.CertificateRevocations certificates(Buffer section) throws KrlFormatException, IOException,
            GeneralSecurityException {
        byte[] caBlob = section.getBytes();
        PublicKey ca = caBlob.length == 0 ? null : new ByteArrayBuffer(caBlob).getRawPublicKey();
        section.getBytes(); // reserved
        Set<Long> serials = new HashSet<>();
        Set<String> keyIds = new TreeSet<>();
        while (section.available() > 0) {
            int type = section.getUByte();
            Buffer body = new ByteArrayBuffer(section.getBytes());
            switch (type) {
                case Krl.CERT_SERIAL_LIST -> {
                    while (body.available() > 0) {
                        serials.add(body.getLong());
                    }
                }
                case Krl.CERT_KEY_ID -> {
                    while (body.available() > 0) {
                        keyIds.add(body.getString());
                    }
                }
                case Krl.CERT_SERIAL_RANGE, Krl.CERT_SERIAL_BITMAP ->
                        throw new KrlFormatException("serial ranges and bitmaps are not supported (writ's CA lists serials)");
                default -> throw new KrlFormatException("unsupported KRL certificate section type " + type);
            }
        }
        try {
            return new Krl.CertificateRevocations(ca, new TreeSet<>(serials), new TreeSet<>(keyIds));
        } catch (IllegalArgumentException e) {
            throw new KrlFormatException(e.getMessage());
        }
    }
}
