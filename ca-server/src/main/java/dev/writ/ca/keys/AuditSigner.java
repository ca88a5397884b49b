package dev.writ.ca.keys;

import java.security.GeneralSecurityException;
import java.security.PublicKey;

/**
 * The audit key, which signs checkpoints of the audit chain: kept apart from the CA keys so that
 * whoever checks the audit log needs to trust one key only, and that key signs nothing else.
 * Callers never hold the private key; {@link AuditKeyFile} is the file-backed one.
 */
public interface AuditSigner {

    /** Ed25519 (or ECDSA P-256 with SHA-256, DER) signature over {@code data}. */
    byte[] sign(byte[] data) throws GeneralSecurityException;

    PublicKey publicKey();
}
