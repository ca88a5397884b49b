package dev.writ.protocol.ssh;

import static dev.writ.protocol.ssh.SshWireReader.printable;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.nist.NISTNamedCurves;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Walks the wire encoding of a public key or an OpenSSH certificate (RFC 4253 section 6.6,
 * OpenSSH's PROTOCOL.certkeys) field by field, as OpenSSH's {@code sshkey_from_blob} does, and
 * refuses what it refuses: bytes after the key, certificate or signature; an unknown type; an
 * ECDSA curve that is not the type's; a negative integer; an Ed25519 key that is not 32 bytes; a
 * certificate type other than user or host; a malformed principals, options or extensions list;
 * a signature key that is itself a certificate (a certificate is never a CA key); a signature that
 * the signature key's type cannot make.
 *
 * <p>Three rules go further than {@code sshkey.c}, as PROTOCOL.certkeys and RFC 4251 ask:
 * critical options and extensions in strictly ascending order of name (so no name twice), the
 * values of the options sshd understands in the form sshd requires of them, and integers in
 * canonical form (OpenSSH silently drops a needless leading zero, so two blobs would name one key).
 *
 * <p>MINA's parsers read the same bytes leniently, so every blob that comes from outside passes
 * here before MINA reads it. Structure only: whether a signature verifies, and whether writ
 * trusts its key, callers decide with MINA.
 */
public final class StrictSshBlob {

    /** What a well-formed blob is: its type name, and whether that is a certificate type. */
    public record Shape(String type, boolean certificate) {
    }

    private enum Kind { RSA, DSA, ECDSA, ED25519, SK_ECDSA, SK_ED25519 }

    /** A key as far as the walk needs it afterwards: to judge the signature a CA key made. */
    private record Key(String type, Kind kind, int modulusBytes) {
    }

    private static final Map<String, Kind> KEYS = Map.of(
            "ssh-ed25519", Kind.ED25519,
            "ecdsa-sha2-nistp256", Kind.ECDSA,
            "ecdsa-sha2-nistp384", Kind.ECDSA,
            "ecdsa-sha2-nistp521", Kind.ECDSA,
            "ssh-rsa", Kind.RSA,
            "ssh-dss", Kind.DSA,
            "sk-ecdsa-sha2-nistp256@openssh.com", Kind.SK_ECDSA,
            "sk-ssh-ed25519@openssh.com", Kind.SK_ED25519);
    /** Each certificate type and the type of the key it certifies. */
    private static final Map<String, String> CERTIFICATES = Map.of(
            "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
            "ssh-rsa-cert-v01@openssh.com", "ssh-rsa",
            "ssh-dss-cert-v01@openssh.com", "ssh-dss",
            "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
            "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com");
    /** The curve an ECDSA type names inside its blob, and Bouncy Castle's name for it. */
    private static final Map<String, String> CURVES = Map.of(
            "ecdsa-sha2-nistp256", "nistp256",
            "ecdsa-sha2-nistp384", "nistp384",
            "ecdsa-sha2-nistp521", "nistp521",
            "sk-ecdsa-sha2-nistp256@openssh.com", "nistp256");
    private static final Map<String, String> BC_CURVES = Map.of("nistp256", "P-256", "nistp384", "P-384", "nistp521", "P-521");
    private static final Set<String> RSA_SIGNATURES = Set.of("rsa-sha2-256", "rsa-sha2-512", "ssh-rsa");
    private static final int USER = 1;
    private static final int HOST = 2;
    /** OpenSSH's SSHKEY_CERT_MAX_PRINCIPALS. */
    private static final int MAX_PRINCIPALS = 256;
    /** Critical options whose value sshd reads as exactly one string. */
    private static final Set<String> STRING_OPTIONS = Set.of("force-command", "source-address");
    /** Options and extensions sshd reads as flags: any value is "corrupt (extra data)". */
    private static final Set<String> FLAG_OPTIONS = Set.of("verify-required");
    private static final Set<String> FLAG_EXTENSIONS = Set.of("no-touch-required", "permit-X11-forwarding",
            "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc");

    private StrictSshBlob() {
    }

    /** Checks one blob, as a publickey request, an agent or a key line carries it. */
    public static Shape check(byte[] blob) throws MalformedKeyException {
        SshWireReader in = new SshWireReader(blob, "key", true);
        String type = text(in.name("key type"));
        boolean certificate = CERTIFICATES.containsKey(type);
        if (certificate) {
            in.what("certificate");
            in.string("nonce");
            publicKey(in, CERTIFICATES.get(type));
            certificateFields(in);
        } else if (KEYS.containsKey(type)) {
            publicKey(in, type);
        } else {
            throw malformed("unknown key type '" + printable(type.getBytes(StandardCharsets.UTF_8)) + "'");
        }
        in.end();
        return new Shape(type, certificate);
    }

    /** The key fields of a plain key of {@code type} (the type name already read), as ssh-keygen writes them. */
    private static Key publicKey(SshWireReader in, String type) throws MalformedKeyException {
        Kind kind = KEYS.get(type);
        switch (kind) {
            case RSA -> {
                in.mpint("RSA exponent");
                BigInteger modulus = in.mpint("RSA modulus");
                return new Key(type, kind, (modulus.bitLength() + 7) / 8);
            }
            case DSA -> {
                in.mpint("DSA p");
                in.mpint("DSA q");
                in.mpint("DSA g");
                in.mpint("DSA public value");
            }
            case ECDSA, SK_ECDSA -> {
                String curve = text(in.name("ECDSA curve name"));
                if (!curve.equals(CURVES.get(type))) {
                    throw malformed("the ECDSA curve '" + printable(curve.getBytes(StandardCharsets.UTF_8))
                            + "' is not the curve of " + type);
                }
                point(in.string("ECDSA point"), curve);
            }
            case ED25519, SK_ED25519 -> {
                byte[] key = in.string("Ed25519 key");
                if (key.length != 32) {
                    throw malformed("the Ed25519 key is " + key.length + " bytes long, not 32");
                }
            }
        }
        if (kind == Kind.SK_ECDSA || kind == Kind.SK_ED25519) {
            in.name("security key application");
        }
        return new Key(type, kind, 0);
    }

    /** What follows the certified key in a certificate, through the signature. */
    private static void certificateFields(SshWireReader in) throws MalformedKeyException {
        in.uint64("serial");
        long type = in.uint32("certificate type");
        if (type != USER && type != HOST) {
            throw malformed("certificate type " + type + " is neither user (1) nor host (2)");
        }
        in.name("key id");
        SshWireReader principals = in.nested("principals", "certificate's principals");
        for (int count = 1; principals.more(); count++) {
            principals.name("principal");
            if (count > MAX_PRINCIPALS) {
                throw malformed("the certificate names more than " + MAX_PRINCIPALS + " principals");
            }
        }
        in.uint64("valid after");
        in.uint64("valid before");
        options(in.nested("critical options", "certificate's critical options"), true);
        options(in.nested("extensions", "certificate's extensions"), false);
        in.string("reserved field");
        Key ca = signatureKey(in.string("signature key"));
        signature(in.nested("signature", "certificate's signature"), ca);
    }

    /** Pairs of name and value, names in strictly ascending byte order (so none twice). */
    private static void options(SshWireReader list, boolean critical) throws MalformedKeyException {
        String kind = critical ? "critical option" : "extension";
        byte[] previous = null;
        while (list.more()) {
            byte[] name = list.name(kind + " name");
            String shown = printable(name);
            byte[] value = list.string("value of " + kind + " '" + shown + "'");
            if (previous != null) {
                int order = Arrays.compareUnsigned(name, previous);
                if (order == 0) {
                    throw malformed("the certificate's " + kind + " '" + shown + "' appears twice");
                }
                if (order < 0) {
                    throw malformed("the certificate's " + kind + "s are not in order: '" + shown + "' comes after '"
                            + printable(previous) + "'");
                }
            }
            value(critical, kind, text(name), shown, value);
            previous = name;
        }
    }

    /** The value of an option sshd understands, in the form sshd reads it. */
    private static void value(boolean critical, String kind, String name, String shown, byte[] value)
            throws MalformedKeyException {
        if (critical && STRING_OPTIONS.contains(name)) {
            try {
                SshWireReader string = new SshWireReader(value, kind + " value", false);
                string.name("value");
                string.end();
            } catch (MalformedKeyException e) {
                throw malformed("the value of the certificate's " + kind + " '" + shown + "' is not one string");
            }
        }
        if ((critical ? FLAG_OPTIONS : FLAG_EXTENSIONS).contains(name) && value.length != 0) {
            throw malformed("the certificate's " + kind + " '" + shown + "' carries a value; it must be empty");
        }
    }

    /** A plain key, never a certificate: taking a certificate for a CA key is how CA checks get bypassed. */
    private static Key signatureKey(byte[] blob) throws MalformedKeyException {
        SshWireReader in = new SshWireReader(blob, "key", false);
        String type;
        try {
            type = text(in.name("key type"));
        } catch (MalformedKeyException e) {
            throw inSignatureKey(e);
        }
        if (CERTIFICATES.containsKey(type)) {
            throw malformed("the certificate's signature key is itself a certificate (" + type + "), not a CA key");
        }
        try {
            if (!KEYS.containsKey(type)) {
                throw malformed("unknown key type '" + printable(type.getBytes(StandardCharsets.UTF_8)) + "'");
            }
            Key key = publicKey(in, type);
            in.end();
            return key;
        } catch (MalformedKeyException e) {
            throw inSignatureKey(e);
        }
    }

    private static MalformedKeyException inSignatureKey(MalformedKeyException e) {
        return malformed("the certificate's signature key is malformed: " + e.getMessage());
    }

    /** A signature of a type the CA key can make, in the layout of that type, with nothing after it. */
    private static void signature(SshWireReader in, Key ca) throws MalformedKeyException {
        String type = text(in.name("signature type"));
        boolean fits = ca.kind() == Kind.RSA ? RSA_SIGNATURES.contains(type) : type.equals(ca.type());
        if (!fits) {
            throw malformed("the certificate's signature is '" + printable(type.getBytes(StandardCharsets.UTF_8))
                    + "', which a " + ca.type() + " CA key cannot make");
        }
        switch (ca.kind()) {
            case ED25519, SK_ED25519 -> length(in.string("Ed25519 signature"), 64, "Ed25519");
            case DSA -> length(in.string("DSA signature"), 40, "DSA");
            case RSA -> {
                int length = in.string("RSA signature").length;
                if (length == 0 || length > ca.modulusBytes()) {
                    throw malformed("the RSA signature is " + length + " bytes long; the CA key's modulus is "
                            + ca.modulusBytes());
                }
            }
            case ECDSA, SK_ECDSA -> {
                SshWireReader rs = in.nested("ECDSA signature", "ECDSA signature");
                rs.mpint("signature's r");
                rs.mpint("signature's s");
                rs.end();
            }
        }
        if (ca.kind() == Kind.SK_ECDSA || ca.kind() == Kind.SK_ED25519) {
            in.uint8("security key flags");
            in.uint32("security key counter");
        }
        in.end();
    }

    private static void length(byte[] signature, int expected, String algorithm) throws MalformedKeyException {
        if (signature.length != expected) {
            throw malformed("the " + algorithm + " signature is " + signature.length + " bytes long, not " + expected);
        }
    }

    /**
     * An uncompressed point on the curve that passes OpenSSH's {@code sshkey_ec_validate_public}:
     * not at infinity, neither coordinate tiny nor at least the order minus one. (That n·Q is the
     * point at infinity follows from being on the curve: the NIST curves have cofactor 1.)
     */
    private static void point(byte[] encoded, String curve) throws MalformedKeyException {
        X9ECParameters params = NISTNamedCurves.getByName(BC_CURVES.get(curve));
        int coordinate = (params.getCurve().getFieldSize() + 7) / 8;
        if (encoded.length == 0 || encoded[0] != 0x04) {
            throw malformed("the ECDSA point is not in uncompressed form");
        }
        if (encoded.length != 1 + 2 * coordinate) {
            throw malformed("the ECDSA point is " + encoded.length + " bytes long, not " + (1 + 2 * coordinate));
        }
        ECPoint point;
        try {
            point = params.getCurve().decodePoint(encoded).normalize();
        } catch (IllegalArgumentException e) {
            throw malformed("the ECDSA point is not on curve " + curve);
        }
        BigInteger order = params.getN();
        BigInteger x = point.isInfinity() ? BigInteger.ZERO : point.getAffineXCoord().toBigInteger();
        BigInteger y = point.isInfinity() ? BigInteger.ZERO : point.getAffineYCoord().toBigInteger();
        int half = order.bitLength() / 2;
        BigInteger limit = order.subtract(BigInteger.ONE);
        if (x.bitLength() <= half || y.bitLength() <= half || x.compareTo(limit) >= 0 || y.compareTo(limit) >= 0) {
            throw malformed("the ECDSA point is not a valid " + curve + " public key");
        }
    }

    private static String text(byte[] name) {
        return new String(name, StandardCharsets.UTF_8);
    }

    private static MalformedKeyException malformed(String message) {
        return new MalformedKeyException(message, false);
    }
}
