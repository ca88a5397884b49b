package dev.writ.bastion.bench;

import dev.writ.bastion.transport.ChaCha20Poly1305;
import java.util.Locale;
import java.util.Random;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.cipher.ChaCha20Cipher;

/**
 * chacha20-poly1305@openssh.com on one core: MINA's pure-Java implementation against writ's, and AES-GCM beside them;
 * 32 KiB packets encrypted and decrypted in turn (what the bastion does to every relayed byte), MB/s of payload.
 * Run it with the JDK to measure: {@code JAVA -cp ... dev.writ.bastion.bench.CipherBenchmark [seconds]}; writ's
 * Poly1305 is the JDK's only when java.base/com.sun.crypto.provider is opened to it ({@code --add-opens}).
 */
public final class CipherBenchmark {

    private CipherBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        System.out.printf("Java %s; writ's Poly1305: %s%n", Runtime.version(), ChaCha20Poly1305.poly1305Engine());
        for (int round = 0; round < 2; round++) {
            measure("MINA chacha20-poly1305", ChaCha20Cipher::new, seconds);
            measure("writ chacha20-poly1305", ChaCha20Poly1305.FACTORY::create, seconds);
            measure("MINA/JDK aes128-gcm", BuiltinCiphers.aes128gcm::create, seconds);
        }
    }

    interface Maker {
        Cipher make() throws Exception;
    }

    static void measure(String name, Maker maker, double seconds) throws Exception {
        int n = 32768;
        byte[] key = new byte[64];
        new Random(1).nextBytes(key);
        byte[] iv = new byte[12];
        Cipher sender = maker.make();
        Cipher receiver = maker.make();
        sender.init(Cipher.Mode.Encrypt, key, java.util.Arrays.copyOf(iv, sender.getIVSize()));
        receiver.init(Cipher.Mode.Decrypt, key, java.util.Arrays.copyOf(iv, receiver.getIVSize()));
        byte[] packet = new byte[4 + n + 16];
        long start = System.nanoTime();
        long bytes = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
            packet[0] = 0;
            packet[1] = 0;
            packet[2] = (byte) (n >>> 8);
            packet[3] = 0;
            sender.updateAAD(packet, 0, 4);
            sender.update(packet, 4, n);
            receiver.updateAAD(packet, 0, 4);
            receiver.update(packet, 4, n);
            bytes += n;
        }
        System.out.printf(Locale.ROOT, "%-24s %6.0f MB/s encrypted and decrypted%n", name, bytes / ((System.nanoTime() - start) / 1e9) / 1e6);
    }
}
