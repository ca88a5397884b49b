package dev.writ.bastion.transport;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.Cipher;

/**
 * {@code chacha20-poly1305@openssh.com} (OpenSSH's PROTOCOL.chacha20poly1305) for MINA's transport, on the
 * JDK's ChaCha20 (compiled to vector instructions on JDK 20 and later) and the fastest Poly1305 at hand
 * ({@link Poly1305Mac}).
 *
 * <p>The 64 bytes of key material split in two: the first 32 bytes (K_2) encrypt the payload, the last 32
 * (K_1) the four-byte packet length. Both streams use the packet's sequence number as nonce (big-endian,
 * in the last eight bytes of the JDK's 12-byte nonce; the first four stay zero, the high half of the
 * original construction's 64-bit block counter, which a packet never reaches). The Poly1305 key is the
 * first 32 bytes of K_2's block 0; the payload starts at block 1; the tag covers the encrypted length and
 * the encrypted payload, nothing else.
 *
 * <p>It keeps MINA's contract for this cipher: {@link #getAlgorithm()} starts with "ChaCha", so MINA passes
 * the packet sequence number as the IV; {@link #updateAAD} turns the length around in place; {@link #update}
 * turns the payload around in place and writes (encrypting) or checks (decrypting) the 16-byte tag after
 * it; every packet advances the sequence number, which must not come round to where it started.
 */
public final class ChaCha20Poly1305 implements Cipher {

    /** The SSH name of the cipher. */
    public static final String NAME = "chacha20-poly1305@openssh.com";
    /** In MINA's cipher lists, where {@code BuiltinCiphers.cc20p1305_openssh} (pure Java, slower) would stand. */
    public static final NamedFactory<Cipher> FACTORY = new NamedFactory<>() {
        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public Cipher create() {
            try {
                return new ChaCha20Poly1305();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JDK has no ChaCha20", e);
            }
        }

        @Override
        public String toString() {
            return NAME;
        }
    };
    private static final int TAG = 16;
    private static final byte[] ZERO_BLOCK = new byte[64];

    // a plain stream cipher: the same in both directions. DECRYPT_MODE because the JDK refuses, in
    // ENCRYPT_MODE, a second init with the nonce of the first, and K_2 serves twice per nonce (the Poly1305
    // key from block 0, then the payload from block 1) by design of the construction.
    private final javax.crypto.Cipher lengthStream;
    private final javax.crypto.Cipher payloadStream;
    private final Poly1305Mac poly1305 = Poly1305Mac.create();
    private final byte[] nonce = new byte[12];
    private final byte[] block0 = new byte[64];
    private final byte[] tag = new byte[TAG];
    private SecretKeySpec payloadKey;
    private SecretKeySpec lengthKey;
    private Mode mode;
    private long sequence;
    private long firstSequence;

    public ChaCha20Poly1305() throws GeneralSecurityException {
        lengthStream = javax.crypto.Cipher.getInstance("ChaCha20");
        payloadStream = javax.crypto.Cipher.getInstance("ChaCha20");
    }

    @Override
    public void init(Mode mode, byte[] key, byte[] iv) throws Exception {
        if (key.length < 64 || iv.length < 8) { // MINA hands over the sequence number in the first 8 bytes of a longer IV
            throw new IllegalArgumentException("chacha20-poly1305 needs 64 bytes of key and the sequence number in 8 bytes");
        }
        this.mode = mode;
        payloadKey = new SecretKeySpec(key, 0, 32, "ChaCha20");
        lengthKey = new SecretKeySpec(key, 32, 32, "ChaCha20");
        long s = 0;
        for (int i = 0; i < 8; i++) {
            s = (s << 8) | (iv[i] & 0xff);
        }
        sequence = s; // 32 bits from MINA; the construction's nonce has room for 64, which RFC 8439's vectors use
        firstSequence = s & 0xffffffffL;
        startPacket();
    }

    /** Nonce for the current sequence number, the Poly1305 key from block 0, the payload stream at block 1. */
    private void startPacket() throws GeneralSecurityException {
        long s = sequence;
        for (int i = 11; i >= 4; i--) {
            nonce[i] = (byte) s;
            s >>>= 8;
        }
        payloadStream.init(javax.crypto.Cipher.DECRYPT_MODE, payloadKey, new ChaCha20ParameterSpec(nonce, 0));
        payloadStream.update(ZERO_BLOCK, 0, 64, block0, 0);
        poly1305.init(block0); // both engines keep a copy
        java.util.Arrays.fill(block0, (byte) 0);
    }

    @Override
    public void updateAAD(byte[] data, int offset, int length) throws Exception {
        if (mode == null) {
            throw new IllegalStateException("cipher not initialised");
        }
        if (length != 4) {
            throw new IllegalArgumentException("chacha20-poly1305 authenticates only the 4-byte packet length");
        }
        if (mode == Mode.Decrypt) {
            poly1305.update(data, offset, length);
        }
        lengthStream.init(javax.crypto.Cipher.DECRYPT_MODE, lengthKey, new ChaCha20ParameterSpec(nonce, 0));
        lengthStream.update(data, offset, length, data, offset);
        if (mode == Mode.Encrypt) {
            poly1305.update(data, offset, length);
        }
    }

    @Override
    public void update(byte[] input, int offset, int length) throws Exception {
        if (mode == null) {
            throw new IllegalStateException("cipher not initialised");
        }
        if (mode == Mode.Decrypt) {
            poly1305.update(input, offset, length);
            poly1305.doFinal(tag, 0);
            int difference = 0;
            for (int i = 0; i < TAG; i++) { // constant time
                difference |= tag[i] ^ input[offset + length + i];
            }
            if (difference != 0) {
                throw new AEADBadTagException("chacha20-poly1305: packet authentication failed");
            }
            payloadStream.update(input, offset, length, input, offset);
        } else {
            payloadStream.update(input, offset, length, input, offset);
            poly1305.update(input, offset, length);
            poly1305.doFinal(input, offset + length);
        }
        sequence = (sequence + 1) & 0xffffffffL; // SSH's sequence number is 32 bits and wraps (RFC 4253 6.4)
        if (sequence == firstSequence) {
            throw new IllegalStateException("chacha20-poly1305: the packet sequence number came round under one key");
        }
        startPacket();
    }

    /** Whose Poly1305 the cipher uses: "jdk" or "bouncycastle" (see {@link Poly1305Mac}). */
    public static String poly1305Engine() {
        return Poly1305Mac.ENGINE;
    }

    /** MINA gives a cipher whose algorithm starts with "ChaCha" the sequence number as its IV. */
    @Override
    public String getAlgorithm() {
        return "ChaCha20";
    }

    @Override
    public String getTransformation() {
        return "ChaCha20";
    }

    @Override
    public int getIVSize() {
        return 8;
    }

    @Override
    public int getAuthenticationTagSize() {
        return TAG;
    }

    @Override
    public int getCipherBlockSize() {
        return 8;
    }

    @Override
    public int getKdfSize() {
        return 64;
    }

    @Override
    public int getKeySize() {
        return 256;
    }

    @Override
    public String toString() {
        return NAME;
    }
}
