package dev.writ.ca.keys;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;

/**
 * One certificate authority (user or host): the key that signs and every key that is trusted
 * (the signer first, then keys kept for rotation). The private key never leaves this object
 * except through {@link #signingKeyPair()}, which only the signer calls.
 */
public final class CaKey {

    private final KeyPair signing;
    private final List<PublicKey> trusted;

    CaKey(KeyPair signing, List<PublicKey> alsoTrusted) {
        this.signing = signing;
        this.trusted = java.util.stream.Stream.concat(java.util.stream.Stream.of(signing.getPublic()), alsoTrusted.stream())
                .toList();
    }

    public PublicKey publicKey() {
        return signing.getPublic();
    }

    /** The signing key first, then the keys trusted for rotation. */
    public List<PublicKey> trusted() {
        return trusted;
    }

    /** The private key, for the signer only. */
    public KeyPair signingKeyPair() {
        return signing;
    }

    @Override
    public String toString() {
        return "CaKey[" + signing.getPublic().getAlgorithm() + "]";
    }
}
