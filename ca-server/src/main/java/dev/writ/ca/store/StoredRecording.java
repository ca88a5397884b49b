package dev.writ.ca.store;

import java.time.Duration;
import java.time.Instant;

/**
 * A recording the CA keeps: the facts of its session (from the asciicast header the bastion
 * signed), its file and the signature that vouches for it.
 *
 * @param seq        the store's number for it (0 before it is stored)
 * @param serial     the certificate serial, unsigned decimal; null when the bastion did not say
 * @param grant      the access grant the session ran under; null when none
 * @param sha256     lowercase hex digest of the file, as the bastion signed it
 * @param signature  base64 signature of the bastion over the digest
 * @param bastion    the name of the bastion that uploaded it
 * @param bastionKey that bastion's public key at upload time, one OpenSSH line
 * @param file       the file's path relative to the recordings directory
 * @param lines      lines of output text indexed for search
 */
public record StoredRecording(long seq, String id, String sessionId, String identity, String login, String target,
                              String serial, String grant, String clientAddress, Instant startedAt, Instant endedAt,
                              long size, boolean truncated, int width, int height, String sha256, String signature,
                              String bastion, String bastionKey, String file, Instant storedAt, int lines) {

    public StoredRecording {
        if (id == null || sessionId == null || identity == null || login == null || target == null
                || startedAt == null || endedAt == null || sha256 == null || signature == null || bastion == null
                || bastionKey == null || file == null || storedAt == null) {
            throw new IllegalArgumentException("a stored recording needs its id, facts, times, digest, signature and file");
        }
        if (endedAt.isBefore(startedAt) || size < 0 || lines < 0) {
            throw new IllegalArgumentException("a recording cannot end before it starts or have a negative size");
        }
    }

    public Duration duration() {
        return Duration.between(startedAt, endedAt);
    }

    StoredRecording withSeq(long newSeq) {
        return new StoredRecording(newSeq, id, sessionId, identity, login, target, serial, grant, clientAddress,
                startedAt, endedAt, size, truncated, width, height, sha256, signature, bastion, bastionKey, file,
                storedAt, lines);
    }
}
