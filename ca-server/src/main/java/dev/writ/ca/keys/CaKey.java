package dev.writ.ca.keys;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * One certificate authority (user, session or host): the key that signs and every key that is
 * trusted (the signer first, then keys published for rotation: the next key, the previous one,
 * and any {@code NAME-*.pub} file). A rotation swaps both at once, while the CA runs.
 */
public final class CaKey {

    /** What one CA signs with and publishes at one moment. */
    record State(CaSigner signer, List<PublicKey> trusted) {
        State {
            trusted = List.copyOf(trusted);
        }
    }

    private final String name;
    private final List<PublicKey> extraTrusted;
    private final AtomicReference<State> state = new AtomicReference<>();

    CaKey(String name, CaSigner signer, List<PublicKey> extraTrusted) {
        this.name = name;
        this.extraTrusted = List.copyOf(extraTrusted);
        this.state.set(new State(signer, Stream.concat(Stream.of(signer.publicKey()), this.extraTrusted.stream()).toList()));
    }

    /** {@code user_ca}, {@code session_ca} or {@code host_ca}. */
    public String name() {
        return name;
    }

    /** The key that signs now. */
    public PublicKey publicKey() {
        return state.get().signer().publicKey();
    }

    /** The signing key first, then the other keys published and trusted. */
    public List<PublicKey> trusted() {
        return state.get().trusted();
    }

    /** Signs with the current key, for the certificate signer only. */
    public CaSigner signer() {
        return state.get().signer();
    }

    /** A rotation step: {@code signer} signs from now on; {@code published} (and the {@code NAME-*.pub} files) are trusted. */
    void rotate(CaSigner signer, List<PublicKey> published) {
        List<PublicKey> trusted = new ArrayList<>();
        for (PublicKey key : Stream.concat(Stream.of(signer.publicKey()), Stream.concat(published.stream(), extraTrusted.stream())).toList()) {
            if (trusted.stream().noneMatch(known -> KeyUtils.compareKeys(known, key))) {
                trusted.add(key);
            }
        }
        state.set(new State(signer, trusted));
    }

    @Override
    public String toString() {
        return "CaKey[" + name + ", " + publicKey().getAlgorithm() + "]";
    }
}
