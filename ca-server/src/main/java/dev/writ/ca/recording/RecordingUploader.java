package dev.writ.ca.recording;

import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;

/**
 * A bastion the CA trusts, as far as recordings care: its name (the audit log's actor) and the
 * key its recording signatures must verify with.
 */
public record RecordingUploader(String name, PublicKey publicKey) {

    public RecordingUploader {
        if (name == null || name.isBlank() || publicKey == null) {
            throw new IllegalArgumentException("an uploader needs a name and a public key");
        }
    }

    /** The key as one OpenSSH line, as it is stored with each recording. */
    public String publicKeyLine() {
        return PublicKeys.toLine(publicKey);
    }
}
