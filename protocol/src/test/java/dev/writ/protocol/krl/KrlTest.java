package dev.writ.protocol.krl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KRL codec against itself and against the real {@code ssh-keygen}. */
class KrlTest {

    @TempDir
    static Path dir;
    static PublicKey ca;
    static OpenSshCertificate certificate;
    static Path certificateFile;

    @BeforeAll
    static void signACertificateWithSshKeygen() throws Exception {
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("ca").toString());
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("user").toString());
        run("ssh-keygen", "-q", "-s", dir.resolve("ca").toString(), "-I", "alice@example.com", "-n", "alice",
                "-z", "42", "-V", "+1h", dir.resolve("user.pub").toString());
        ca = parse(dir.resolve("ca.pub"));
        certificateFile = dir.resolve("user-cert.pub");
        certificate = (OpenSshCertificate) parse(certificateFile);
    }

    static PublicKey parse(Path file) throws Exception {
        return PublicKeyEntry.parsePublicKeyEntry(Files.readString(file).strip()).resolvePublicKey(null, null, null);
    }

    static Krl krl(Set<Long> serials, Set<String> keyIds, Set<String> fingerprints) {
        return new Krl(7, Instant.ofEpochSecond(1_700_000_000L), "writ test",
                List.of(new Krl.CertificateRevocations(ca, new TreeSet<>(serials), new TreeSet<>(keyIds))), fingerprints);
    }

    @Nested
    class RoundTrip {
        @Test
        void decodesWhatItEncodesWithEveryFieldFilled() throws Exception {
            Krl original = krl(Set.of(42L, -1L, 5L), Set.of("alice@example.com", "bob"), Set.of(Krl.fingerprint(ca)));
            assertEveryComponentFilled(original);
            Krl decoded = Krl.decode(original.encode());
            assertEquals(original.version(), decoded.version());
            assertEquals(original.generatedAt(), decoded.generatedAt());
            assertEquals(original.comment(), decoded.comment());
            assertEquals(original.sha256Fingerprints(), decoded.sha256Fingerprints());
            assertEquals(1, decoded.certificates().size());
            Krl.CertificateRevocations section = decoded.certificates().get(0);
            assertArrayEquals(ca.getEncoded(), section.ca().getEncoded());
            assertEquals(original.certificates().get(0).serials(), section.serials());
            assertEquals(original.certificates().get(0).keyIds(), section.keyIds());
            assertArrayEquals(original.encode(), decoded.encode());
        }

        @Test
        void keyIdsUnderAnyCaRoundTrip() throws Exception {
            Krl original = new Krl(1, Instant.EPOCH, "", List.of(new Krl.CertificateRevocations(null, new TreeSet<>(),
                    new TreeSet<>(Set.of("alice@example.com")))), Set.of());
            Krl decoded = Krl.decode(original.encode());
            assertTrue(decoded.revokes(certificate));
        }

        /** A new record component that the codec forgets must fail here, not in production. */
        static void assertEveryComponentFilled(Record value) throws Exception {
            for (RecordComponent component : value.getClass().getRecordComponents()) {
                Object field = component.getAccessor().invoke(value);
                assertNotNull(field, component.getName());
                if (field instanceof Collection<?> c) {
                    assertFalse(c.isEmpty(), component.getName() + " is empty");
                    for (Object element : c) {
                        if (element instanceof Record r) {
                            assertEveryComponentFilled(r);
                        }
                    }
                }
                if (field instanceof String s) {
                    assertFalse(s.isEmpty(), component.getName() + " is empty");
                }
                if (field instanceof Long l) {
                    assertTrue(l != 0, component.getName() + " is zero");
                }
            }
        }
    }

    @Nested
    class Revocation {
        @Test
        void revokesBySerialUnderTheSigningCa() {
            assertTrue(krl(Set.of(42L), Set.of(), Set.of()).revokes(certificate));
            assertFalse(krl(Set.of(43L), Set.of(), Set.of()).revokes(certificate));
        }

        @Test
        void revokesByKeyId() {
            assertTrue(krl(Set.of(), Set.of("alice@example.com"), Set.of()).revokes(certificate));
            assertFalse(krl(Set.of(), Set.of("bob@example.com"), Set.of()).revokes(certificate));
        }

        @Test
        void revokesByFingerprintOfTheCertifiedKeyOrOfTheCa() {
            assertTrue(krl(Set.of(), Set.of(), Set.of(Krl.fingerprint(certificate.getCertPubKey()))).revokes(certificate));
            assertTrue(krl(Set.of(), Set.of(), Set.of(Krl.fingerprint(ca))).revokes(certificate));
        }

        @Test
        void aSerialUnderAnotherCaDoesNotRevoke() throws Exception {
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("other_ca").toString());
            Krl other = new Krl(1, Instant.EPOCH, "", List.of(new Krl.CertificateRevocations(parse(dir.resolve("other_ca.pub")),
                    new TreeSet<>(Set.of(42L)), new TreeSet<>())), Set.of());
            assertFalse(other.revokes(certificate));
        }
    }

    @Nested
    class AgainstSshKeygen {
        @Test
        void sshKeygenReadsOurListAndAgreesOnWhatIsRevoked() throws Exception {
            assertEquals(1, query(krl(Set.of(42L), Set.of(), Set.of())), "serial 42 revoked");
            assertEquals(1, query(krl(Set.of(), Set.of("alice@example.com"), Set.of())), "key id revoked");
            assertEquals(1, query(krl(Set.of(), Set.of(), Set.of(Krl.fingerprint(certificate.getCertPubKey())))), "key revoked");
            assertEquals(0, query(krl(Set.of(41L, 43L), Set.of("bob"), Set.of())), "nothing of ours revoked");
        }

        @Test
        void weReadTheListSshKeygenWrites() throws Exception {
            Path spec = Files.writeString(dir.resolve("spec"), "serial: 42\nid: bob@example.com\n");
            Path file = dir.resolve("keygen.krl");
            run("ssh-keygen", "-k", "-f", file.toString(), "-s", dir.resolve("ca.pub").toString(), spec.toString());
            Krl read = Krl.decode(Files.readAllBytes(file));
            assertTrue(read.revokes(certificate));
            assertEquals(Set.of("bob@example.com"), read.certificates().get(0).keyIds());
        }

        int query(Krl krl) throws Exception {
            Path file = Files.write(dir.resolve("ours.krl"), krl.encode());
            return run(List.of("ssh-keygen", "-Q", "-f", file.toString(), certificateFile.toString()), true);
        }
    }

    @Nested
    class MalformedInput {
        @Test
        void everyTruncationIsAFormatErrorNeverAnotherException() {
            byte[] good = krl(Set.of(42L), Set.of("alice@example.com"), Set.of(Krl.fingerprint(ca))).encode();
            for (int length = 0; length < good.length; length++) {
                byte[] cut = Arrays.copyOf(good, length);
                try {
                    Krl.decode(cut);
                } catch (KrlFormatException expected) {
                    continue;
                }
                // a cut exactly at a section boundary is a valid, shorter list
                assertTrue(isSectionBoundary(good, length), "truncation at " + length + " decoded");
            }
        }

        @Test
        void refusesWrongMagicAndUnknownSections() {
            assertThrows(KrlFormatException.class, () -> Krl.decode("not a krl at all".getBytes(StandardCharsets.US_ASCII)));
            byte[] good = krl(Set.of(), Set.of(), Set.of()).encode();
            byte[] withUnknown = Arrays.copyOf(good, good.length + 5);
            withUnknown[good.length] = 99; // section type 99 with an empty body
            assertThrows(KrlFormatException.class, () -> Krl.decode(withUnknown));
        }

        /** Where the header and each top-level section end: the only places a cut leaves a valid list. */
        static boolean isSectionBoundary(byte[] good, int length) {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(good);
            in.position(8 + 4 + 8 + 8 + 8);
            in.position(in.position() + 4 + in.getInt()); // reserved
            in.position(in.position() + 4 + in.getInt()); // comment
            while (in.position() < length) {
                in.position(in.position() + 1);
                in.position(in.position() + 4 + in.getInt());
            }
            return in.position() == length;
        }
    }

    static void run(String... command) throws Exception {
        int exit = run(List.of(command), false);
        assertEquals(0, exit, String.join(" ", command));
    }

    static int run(List<String> command, boolean quiet) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command + " timed out");
        }
        if (!quiet && process.exitValue() != 0) {
            System.err.println(output);
        }
        return process.exitValue();
    }
}
