package dev.writ.agent.recordings;

import dev.writ.protocol.api.RecordingVerification;
import dev.writ.protocol.recording.RecordingUpload;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.PrintWriter;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code writ recordings verify} on this machine: the downloaded file against the digest its
 * bastion signed, and the signature against the bastion's key, so that a reviewer need not take
 * the CA's word for either.
 */
final class Checks {

    /** What was checked, one line each, and whether all passed. */
    record Report(List<String> lines, boolean ok) {
        void print(PrintWriter out) {
            lines.forEach(out::println);
        }
    }

    private Checks() {
    }

    static Report verify(RecordingVerification ca, RecordingsClient.Download download, String pinnedKey) {
        List<String> lines = new ArrayList<>();
        lines.add("recording   " + ca.id() + " (bastion " + ca.bastion() + ")");
        lines.add("CA check    " + (ca.ok() ? "ok" : "FAILED: " + ca.problem()));
        String actual = sha256Hex(download.body());
        boolean digestOk = actual.equals(ca.sha256());
        lines.add("digest      " + (digestOk ? "ok: the downloaded file's SHA-256 is the signed " + actual
                : "FAILED: the downloaded file's SHA-256 is " + actual + ", the bastion signed " + ca.sha256()));
        boolean signatureOk;
        String keyNote;
        try {
            PublicKey key = PublicKeys.parse(pinnedKey != null ? pinnedKey : ca.bastionKey());
            keyNote = (pinnedKey != null ? "the given key " : "bastion " + ca.bastion() + "'s key ") + PublicKeys.fingerprint(key);
            signatureOk = RecordingUpload.verify(key, HexFormat.of().parseHex(ca.sha256()),
                    Base64.getDecoder().decode(ca.signature()));
            if (pinnedKey != null && !PublicKeys.fingerprint(key).equals(fingerprintOrNull(ca.bastionKey()))) {
                keyNote += "; the CA names another key for bastion " + ca.bastion();
            }
        } catch (InvalidKeyException | IllegalArgumentException | NullPointerException e) {
            signatureOk = false;
            keyNote = "no usable key or signature: " + e.getMessage();
        }
        lines.add("signature   " + (signatureOk ? "ok: " : "FAILED: does not verify with ") + keyNote);
        return new Report(lines, ca.ok() && digestOk && signatureOk);
    }

    static String sha256Hex(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String fingerprintOrNull(String line) {
        try {
            return PublicKeys.fingerprint(PublicKeys.parse(line));
        } catch (InvalidKeyException | RuntimeException e) {
            return null;
        }
    }
}
