package dev.writ.protocol.recording;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;

/**
 * How a bastion hands a finished recording to the CA, and how anyone checks it later.
 *
 * <p>{@code PUT /v1/recordings/{id}} with the asciicast file as the body and two headers:
 * {@value #SHA256_HEADER} (the file's SHA-256, lowercase hex) and {@value #SIGNATURE_HEADER}
 * (base64 of the bastion's signature over the 32 bytes of that digest: Ed25519, or ECDSA P-256
 * with SHA-256 in DER form). The same two headers come back with {@code GET /v1/recordings/{id}}.
 *
 * <p>The session's facts ride in the asciicast header under {@code "writ"} with the keys below;
 * {@link #SESSION_ID}, {@link #IDENTITY}, {@link #LOGIN} and {@link #TARGET} are required. A
 * recording the bastion closed after a crash says {@code "truncated": "true"} there, or simply
 * ends with a cut-off line.
 */
public final class RecordingUpload {

    public static final String SHA256_HEADER = "Writ-Recording-Sha256";
    public static final String SIGNATURE_HEADER = "Writ-Recording-Signature";
    /** The media type of an asciicast v2 file. */
    public static final String MEDIA_TYPE = "application/x-asciicast";

    public static final String SESSION_ID = "session_id";
    public static final String IDENTITY = "identity";
    public static final String LOGIN = "login";
    public static final String TARGET = "target";
    public static final String SERIAL = "serial";
    public static final String GRANT = "grant";
    public static final String CLIENT_ADDRESS = "client_address";
    public static final String TRUNCATED = "truncated";
    public static final List<String> REQUIRED_FACTS = List.of(SESSION_ID, IDENTITY, LOGIN, TARGET);

    private RecordingUpload() {
    }

    /** The bastion's signature over {@code sha256}: the one place a recording is signed. */
    public static byte[] sign(PrivateKey key, byte[] sha256) throws GeneralSecurityException {
        checkDigest(sha256);
        Signature signer = Signature.getInstance(algorithm(key));
        signer.initSign(key instanceof ECKey ? key : jdkEd25519(key));
        signer.update(sha256);
        return signer.sign();
    }

    /** Whether {@code signature} is {@code key}'s signature over {@code sha256}; false for any malformed input. */
    public static boolean verify(PublicKey key, byte[] sha256, byte[] signature) {
        if (sha256 == null || sha256.length != 32 || signature == null) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance(algorithm(key));
            verifier.initVerify(key instanceof ECKey ? key : jdkEd25519(key));
            verifier.update(sha256);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false; // a signature that cannot even be checked is not a valid one
        }
    }

    private static String algorithm(java.security.Key key) throws GeneralSecurityException {
        if (key instanceof ECKey ec) {
            if (ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw new GeneralSecurityException("only ECDSA P-256 keys sign recordings");
            }
            return "SHA256withECDSA";
        }
        String name = key.getAlgorithm();
        if ("Ed25519".equalsIgnoreCase(name) || "EdDSA".equalsIgnoreCase(name)) {
            return "Ed25519";
        }
        throw new GeneralSecurityException("recordings are signed with Ed25519 or ECDSA P-256, not " + name);
    }

    /** Ed25519 keys parsed by MINA or Bouncy Castle, re-encoded for the JDK's own Ed25519. */
    private static PublicKey jdkEd25519(PublicKey key) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(key.getEncoded()));
    }

    private static PrivateKey jdkEd25519(PrivateKey key) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    }

    private static void checkDigest(byte[] sha256) {
        if (sha256 == null || sha256.length != 32) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes");
        }
    }
}
