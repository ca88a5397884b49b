package dev.writ.ca.keys;

import java.security.GeneralSecurityException;
import java.security.PublicKey;

/**
 * One private key that signs: a file key held in memory, or a key that never leaves a PKCS#11
 * token. Callers get signatures, never the key. Used by the certificate authorities and open to
 * any other key of the CA's (an audit key signing checkpoints, say).
 */
public interface CaSigner {

    PublicKey publicKey();

    /**
     * An OpenSSH signature blob over {@code data}: {@code string algorithm, string signature}, as
     * a certificate's signature field holds it (ECDSA as {@code mpint r, mpint s}; RSA with
     * rsa-sha2-512).
     */
    byte[] sshSignature(byte[] data) throws GeneralSecurityException;

    /** A plain JCA signature over {@code data}, checked with {@code Signature.getInstance(jcaAlgorithm())}. */
    byte[] sign(byte[] data) throws GeneralSecurityException;

    /** The JCA name of {@link #sign}'s algorithm: {@code Ed25519}, {@code SHA256withECDSA} or {@code SHA512withRSA}. */
    String jcaAlgorithm();

    /** Where the private key lives, for listings and logs: {@code file:user_ca}, {@code pkcs11:writ-user_ca}. */
    String location();
}
