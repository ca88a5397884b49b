package dev.writ.bastion.transport;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import java.util.HexFormat;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Poly1305 (RFC 8439 section 2.5), one-time key per message. Two engines compute the same function:
 *
 * <ul>
 *   <li>the JDK's own, behind its ChaCha20-Poly1305 cipher, which JDK 20 and later compile to AVX-512
 *       (about 6 GB/s on one core here, against 0.6 GB/s for Bouncy Castle). The JDK does not export it, so it
 *       is used only when the JVM opens {@code java.base/com.sun.crypto.provider} to writ (the bastion jar's
 *       manifest does, {@code Add-Opens}), the JDK is 21 or newer, and it passes RFC 8439's test vector;</li>
 *   <li>Bouncy Castle's otherwise.</li>
 * </ul>
 */
abstract class Poly1305Mac {

    /** The JDK's engine, when this JVM lets writ reach it and it passes the test vector; else null. */
    private static final MethodHandle[] JDK = findJdk();
    /** Which engine {@link #create()} hands out: "jdk" or "bouncycastle". */
    static final String ENGINE = JDK != null && Runtime.version().feature() >= 21
            && !Boolean.getBoolean("writ.poly1305.bouncycastle") ? "jdk" : "bouncycastle";

    private static MethodHandle[] findJdk() {
        try {
            Class<?> type = Class.forName("com.sun.crypto.provider.Poly1305");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle created;
            try { // JDK 21+: Poly1305(boolean checkWeakKey); the SSH construction has no weak-key rule
                Constructor<?> constructor = type.getDeclaredConstructor(boolean.class);
                constructor.setAccessible(true);
                created = MethodHandles.insertArguments(lookup.unreflectConstructor(constructor), 0, false);
            } catch (NoSuchMethodException e) {
                Constructor<?> constructor = type.getDeclaredConstructor();
                constructor.setAccessible(true);
                created = lookup.unreflectConstructor(constructor);
            }
            MethodHandle[] handles = {
                created.asType(MethodType.methodType(Object.class)),
                handle(lookup, type, "engineInit", Key.class, AlgorithmParameterSpec.class)
                        .asType(MethodType.methodType(void.class, Object.class, Key.class, AlgorithmParameterSpec.class)),
                handle(lookup, type, "engineUpdate", byte[].class, int.class, int.class)
                        .asType(MethodType.methodType(void.class, Object.class, byte[].class, int.class, int.class)),
                handle(lookup, type, "engineDoFinal").asType(MethodType.methodType(byte[].class, Object.class))};
            return knownAnswer(new Jdk(handles)) ? handles : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // not opened to writ (InaccessibleObjectException), or a JDK that differs: Bouncy Castle
        }
    }

    private static MethodHandle handle(MethodHandles.Lookup lookup, Class<?> type, String name, Class<?>... parameters)
            throws ReflectiveOperationException {
        Method method = type.getDeclaredMethod(name, parameters);
        method.setAccessible(true);
        return lookup.unreflect(method);
    }

    /** RFC 8439, section 2.5.2. */
    static boolean knownAnswer(Poly1305Mac mac) {
        HexFormat hex = HexFormat.of();
        byte[] key = hex.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] message = "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] tag = new byte[16];
        mac.init(key);
        mac.update(message, 0, 10);
        mac.update(message, 10, message.length - 10);
        mac.doFinal(tag, 0);
        return hex.formatHex(tag).equals("a8061dc1305136c6c22b8baf0c0127a9");
    }

    static Poly1305Mac create() {
        return ENGINE.equals("jdk") ? new Jdk(JDK) : new BouncyCastle();
    }

    /** The JDK's engine whatever the JDK's version, for tests; empty when this JVM does not open it to writ. */
    static java.util.Optional<Poly1305Mac> jdk() {
        return JDK == null ? java.util.Optional.empty() : java.util.Optional.of(new Jdk(JDK));
    }

    /** Starts a message under the first 32 bytes of {@code key}. */
    abstract void init(byte[] key);

    abstract void update(byte[] data, int offset, int length);

    /** Writes the 16-byte tag at {@code out[offset]}. */
    abstract void doFinal(byte[] out, int offset);

    static final class BouncyCastle extends Poly1305Mac {
        private final Poly1305 mac = new Poly1305();

        @Override
        void init(byte[] key) {
            mac.init(new KeyParameter(key, 0, 32));
        }

        @Override
        void update(byte[] data, int offset, int length) {
            mac.update(data, offset, length);
        }

        @Override
        void doFinal(byte[] out, int offset) {
            mac.doFinal(out, offset);
        }
    }

    static final class Jdk extends Poly1305Mac {
        private final MethodHandle init;
        private final MethodHandle update;
        private final MethodHandle doFinal;
        private final Object mac;

        Jdk(MethodHandle[] handles) {
            this.init = handles[1];
            this.update = handles[2];
            this.doFinal = handles[3];
            try {
                mac = (Object) handles[0].invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException("the JDK's Poly1305", e);
            }
        }

        @Override
        void init(byte[] key) {
            try {
                init.invokeExact(mac, (Key) new SecretKeySpec(key, 0, 32, "Poly1305"), (AlgorithmParameterSpec) null);
            } catch (Throwable e) {
                throw new IllegalStateException("the JDK's Poly1305", e);
            }
        }

        @Override
        void update(byte[] data, int offset, int length) {
            try {
                update.invokeExact(mac, data, offset, length);
            } catch (Throwable e) {
                throw new IllegalStateException("the JDK's Poly1305", e);
            }
        }

        @Override
        void doFinal(byte[] out, int offset) {
            try {
                byte[] tag = (byte[]) doFinal.invokeExact(mac);
                System.arraycopy(tag, 0, out, offset, 16);
            } catch (Throwable e) {
                throw new IllegalStateException("the JDK's Poly1305", e);
            }
        }
    }
}
