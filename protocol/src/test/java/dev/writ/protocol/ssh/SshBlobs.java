package dev.writ.protocol.ssh;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Takes OpenSSH key and certificate blobs apart and puts them back together with one thing
 * changed, to build the malformed input that writ must refuse. Test code only: it trusts its
 * input (valid blobs from ssh-keygen or the CA) and checks nothing.
 */
public final class SshBlobs {

    /** How many strings follow the type name in each kind of key. */
    private static final Map<String, Integer> KEY_FIELDS = Map.of("ssh-ed25519", 1, "ssh-rsa", 2, "ssh-dss", 4,
            "ecdsa-sha2-nistp256", 2, "ecdsa-sha2-nistp384", 2, "ecdsa-sha2-nistp521", 2);

    private SshBlobs() {
    }

    /** A key pair from an unencrypted OpenSSH private key file, as ssh-keygen writes it. */
    public static KeyPair keyPair(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, FilePasswordProvider.EMPTY)
                    .iterator().next();
        }
    }

    /** The blob of an OpenSSH line ({@code type base64 [comment]}). */
    public static byte[] blob(String line) {
        return Base64.getDecoder().decode(line.strip().split("\\s+")[1]);
    }

    /** An OpenSSH line for a blob, with the type the blob names. */
    public static String line(byte[] blob) {
        return line(new String(new Reader(blob).string(), StandardCharsets.UTF_8), blob);
    }

    /** An OpenSSH line that names {@code type}, whatever the blob holds. */
    public static String line(String type, byte[] blob) {
        return type + " " + Base64.getEncoder().encodeToString(blob);
    }

    public static byte[] string(byte[] value) {
        return concat(uint32(value.length), value);
    }

    public static byte[] string(String value) {
        return string(value.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] uint32(long value) {
        return ByteBuffer.allocate(4).putInt((int) value).array();
    }

    public static byte[] uint64(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Each string of a plain key blob: the type name, then the key's fields. */
    public static List<byte[]> strings(byte[] blob) {
        Reader in = new Reader(blob);
        List<byte[]> strings = new ArrayList<>();
        while (in.more()) {
            strings.add(in.string());
        }
        return strings;
    }

    /** A plain key blob made of these strings. */
    public static byte[] strings(List<byte[]> strings) {
        return concat(strings.stream().map(SshBlobs::string).toArray(byte[][]::new));
    }

    /** The contents of a principals list, or of an options list's names and values. */
    public static byte[] list(byte[]... strings) {
        return concat(Arrays.stream(strings).map(SshBlobs::string).toArray(byte[][]::new));
    }

    /** A critical option or extension: its name, and its value already in its data form. */
    public record Option(String name, byte[] value) {
        /** A flag: empty value. */
        public static Option flag(String name) {
            return new Option(name, new byte[0]);
        }

        /** A value sshd reads as one string (force-command, source-address). */
        public static Option text(String name, String value) {
            return new Option(name, string(value));
        }
    }

    public static byte[] options(List<Option> options) {
        return concat(options.stream().map(o -> concat(string(o.name()), string(o.value()))).toArray(byte[][]::new));
    }

    public static List<Option> options(byte[] list) {
        Reader in = new Reader(list);
        List<Option> options = new ArrayList<>();
        while (in.more()) {
            options.add(new Option(new String(in.string(), StandardCharsets.UTF_8), in.string()));
        }
        return options;
    }

    /** A certificate's fields, each as it is on the wire; lists as their contents. */
    public static final class Certificate {
        public String type;
        public byte[] nonce;
        public List<byte[]> key;
        public long serial;
        public long certificateType;
        public byte[] keyId;
        public byte[] principals;
        public long validAfter;
        public long validBefore;
        public byte[] criticalOptions;
        public byte[] extensions;
        public byte[] reserved;
        public byte[] signatureKey;
        public byte[] signature;

        public static Certificate of(byte[] blob) {
            Reader in = new Reader(blob);
            Certificate c = new Certificate();
            c.type = new String(in.string(), StandardCharsets.UTF_8);
            c.nonce = in.string();
            String keyType = c.type.replace("-cert-v01@openssh.com", "");
            c.key = new ArrayList<>();
            for (int i = 0; i < KEY_FIELDS.get(keyType); i++) {
                c.key.add(in.string());
            }
            c.serial = in.uint64();
            c.certificateType = in.uint32();
            c.keyId = in.string();
            c.principals = in.string();
            c.validAfter = in.uint64();
            c.validBefore = in.uint64();
            c.criticalOptions = in.string();
            c.extensions = in.string();
            c.reserved = in.string();
            c.signatureKey = in.string();
            c.signature = in.string();
            return c;
        }

        /** Everything the signature covers. */
        public byte[] body() {
            return concat(string(type), string(nonce), concat(key.stream().map(SshBlobs::string).toArray(byte[][]::new)),
                    uint64(serial), uint32(certificateType), string(keyId), string(principals), uint64(validAfter),
                    uint64(validBefore), string(criticalOptions), string(extensions), string(reserved),
                    string(signatureKey));
        }

        public byte[] encode() {
            return concat(body(), string(signature));
        }

        /** Signs the body again with {@code ca} (whose public key {@code signatureKey} should hold), as a CA would. */
        public Certificate signedBy(KeyPair ca, String algorithm) throws Exception {
            Signature signer = BuiltinSignatures.fromFactoryName(algorithm).create();
            signer.initSigner(null, ca.getPrivate());
            signer.update(null, body());
            signature = concat(string(algorithm), string(signer.sign(null)));
            return this;
        }

        public String line() {
            return SshBlobs.line(type, encode());
        }
    }

    private static final class Reader {
        private final ByteBuffer buffer;

        Reader(byte[] bytes) {
            buffer = ByteBuffer.wrap(bytes);
        }

        boolean more() {
            return buffer.hasRemaining();
        }

        byte[] string() {
            byte[] value = new byte[buffer.getInt()];
            buffer.get(value);
            return value;
        }

        long uint32() {
            return buffer.getInt() & 0xffffffffL;
        }

        long uint64() {
            return buffer.getLong();
        }
    }
}
