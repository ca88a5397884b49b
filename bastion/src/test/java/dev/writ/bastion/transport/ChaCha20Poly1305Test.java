package dev.writ.bastion.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.apache.sshd.common.cipher.ChaCha20Cipher;
import org.apache.sshd.common.cipher.Cipher;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** chacha20-poly1305@openssh.com against RFC 8439's vectors, OpenSSH's construction and MINA's own implementation. */
class ChaCha20Poly1305Test {

    static final HexFormat HEX = HexFormat.of();

    /** RFC 8439 2.4.2: key 00..1f, nonce 00000000 0000004a 00000000, counter 1: the payload of sequence number 0x4a00000000. */
    @Test
    void thePayloadIsChaCha20UnderTheFirstHalfOfTheKeyFromBlockOne() throws Exception {
        byte[] key = new byte[64];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
                + "sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        byte[] packet = packet(plaintext);
        Cipher cipher = init(Cipher.Mode.Encrypt, key, 0x4a00000000L);
        cipher.updateAAD(packet, 0, 4);
        cipher.update(packet, 4, plaintext.length);
        assertEquals("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e6"
                + "5152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b"
                + "8eedf2785e42874d", HEX.formatHex(Arrays.copyOfRange(packet, 4, 4 + plaintext.length)));
    }

    /**
     * RFC 8439 2.6.2: key 80..9f, nonce 00000000 00010203 04050607: block 0 starts 8ad5a08b. With that key in both
     * halves and sequence number 0x0001020304050607, the length is XORed with the second half's block 0 and the
     * tag is Poly1305, keyed by the first half's block 0, over the encrypted length and payload.
     */
    @Test
    void theLengthUsesTheSecondHalfAndTheTagIsKeyedByBlockZero() throws Exception {
        byte[] half = new byte[32];
        for (int i = 0; i < 32; i++) {
            half[i] = (byte) (0x80 + i);
        }
        byte[] key = new byte[64];
        System.arraycopy(half, 0, key, 0, 32);
        System.arraycopy(half, 0, key, 32, 32);
        byte[] payload = new byte[100];
        new Random(7).nextBytes(payload);
        byte[] packet = packet(payload);
        Cipher cipher = init(Cipher.Mode.Encrypt, key, 0x0001020304050607L);
        cipher.updateAAD(packet, 0, 4);
        cipher.update(packet, 4, payload.length);

        assertEquals("8ad5a0ef", HEX.formatHex(Arrays.copyOfRange(packet, 0, 4))); // 0x00000064 ^ 8ad5a08b
        Poly1305 poly = new Poly1305();
        poly.init(new KeyParameter(HEX.parseHex("8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646")));
        poly.update(packet, 0, 4 + payload.length);
        byte[] tag = new byte[16];
        poly.doFinal(tag, 0);
        assertArrayEquals(tag, Arrays.copyOfRange(packet, 4 + payload.length, packet.length));
    }

    @Test
    void speaksWithMinasImplementationBothWaysOverManyPackets() throws Exception {
        Random random = new Random(11);
        byte[] key = new byte[64];
        random.nextBytes(key);
        long first = 0xfffffff0L; // the 32-bit sequence number wraps to 0 on the way
        Cipher[][] pairs = {
            {init(Cipher.Mode.Encrypt, key, first), mina(Cipher.Mode.Decrypt, key, first)},
            {mina(Cipher.Mode.Encrypt, key, first), init(Cipher.Mode.Decrypt, key, first)},
        };
        for (Cipher[] pair : pairs) {
            for (int n = 0; n < 40; n++) {
                byte[] payload = new byte[random.nextInt(70_000)];
                random.nextBytes(payload);
                byte[] packet = packet(payload);
                pair[0].updateAAD(packet, 0, 4);
                pair[0].update(packet, 4, payload.length);
                pair[1].updateAAD(packet, 0, 4);
                assertEquals(payload.length, ((packet[0] & 0xff) << 24) | ((packet[1] & 0xff) << 16) | ((packet[2] & 0xff) << 8)
                        | (packet[3] & 0xff));
                pair[1].update(packet, 4, payload.length);
                assertArrayEquals(payload, Arrays.copyOfRange(packet, 4, 4 + payload.length));
            }
        }
    }

    @Test
    void refusesAPacketWithAnyBitChanged() throws Exception {
        byte[] key = new byte[64];
        new Random(3).nextBytes(key);
        for (int bit : new int[] {0, 31, 40, 8 * (4 + 50) - 1, 8 * (4 + 50 + 15)}) {
            byte[] packet = packet(new byte[50]);
            Cipher sender = init(Cipher.Mode.Encrypt, key, 5);
            sender.updateAAD(packet, 0, 4);
            sender.update(packet, 4, 50);
            packet[bit / 8] ^= (byte) (1 << (bit % 8));
            Cipher receiver = init(Cipher.Mode.Decrypt, key, 5);
            receiver.updateAAD(packet, 0, 4);
            int length = ((packet[0] & 0xff) << 24) | ((packet[1] & 0xff) << 16) | ((packet[2] & 0xff) << 8) | (packet[3] & 0xff);
            // a changed length decrypts to another length (MINA refuses most as too long); the tag refuses it anyway
            assertEquals(bit < 32, length != 50, "bit " + bit);
            assertThrows(AEADBadTagException.class, () -> receiver.update(packet, 4, 50), "bit " + bit);
        }
    }

    @Test
    void bothPoly1305EnginesPassRfc8439AndAgree() throws Exception {
        assertTrue(Poly1305Mac.knownAnswer(new Poly1305Mac.BouncyCastle()));
        // the bastion's tests run with java.base/com.sun.crypto.provider opened, as its jar does
        Poly1305Mac jdk = Poly1305Mac.jdk().orElseThrow();
        assertTrue(Poly1305Mac.knownAnswer(jdk));
        Random random = new Random(5);
        Poly1305Mac bc = new Poly1305Mac.BouncyCastle();
        for (int n = 0; n < 200; n++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] message = new byte[random.nextInt(3000)];
            random.nextBytes(message);
            byte[] a = new byte[16];
            byte[] b = new byte[16];
            int split = message.length == 0 ? 0 : random.nextInt(message.length);
            for (Poly1305Mac mac : new Poly1305Mac[] {bc, jdk}) {
                mac.init(key);
                mac.update(message, 0, split);
                mac.update(message, split, message.length - split);
                mac.doFinal(mac == bc ? a : b, 0);
            }
            assertArrayEquals(a, b);
        }
    }

    static Cipher init(Cipher.Mode mode, byte[] key, long sequence) throws Exception {
        Cipher cipher = ChaCha20Poly1305.FACTORY.create();
        cipher.init(mode, key, iv(sequence));
        return cipher;
    }

    static Cipher mina(Cipher.Mode mode, byte[] key, long sequence) throws Exception {
        Cipher cipher = new ChaCha20Cipher();
        cipher.init(mode, key, iv(sequence));
        return cipher;
    }

    static byte[] iv(long sequence) {
        byte[] iv = new byte[8];
        for (int i = 7; i >= 0; i--) {
            iv[i] = (byte) sequence;
            sequence >>>= 8;
        }
        return iv;
    }

    /** Length, payload, room for the tag. */
    static byte[] packet(byte[] payload) {
        byte[] packet = new byte[4 + payload.length + 16];
        packet[0] = (byte) (payload.length >>> 24);
        packet[1] = (byte) (payload.length >>> 16);
        packet[2] = (byte) (payload.length >>> 8);
        packet[3] = (byte) payload.length;
        System.arraycopy(payload, 0, packet, 4, payload.length);
        return packet;
    }
}
