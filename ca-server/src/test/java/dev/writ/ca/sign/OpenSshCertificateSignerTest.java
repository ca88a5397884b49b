package dev.writ.ca.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.config.CaConfig.KeyType;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Security;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OpenSshCertificateSignerTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void bouncyCastle() {
        Security.addProvider(new BouncyCastleProvider());
    }

    private static final Instant AFTER = Instant.parse("2026-11-21T08:00:00Z");
    private static final Instant BEFORE = Instant.parse("2026-11-21T16:00:00Z");

    @Nested
    class CheckedByRealSshKeygen {

        @ParameterizedTest(name = "ok/{0}-ca")
        @EnumSource(KeyType.class)
        void userCertificateShowsEveryField(KeyType type) throws Exception {
            CaKeyRing keys = CaKeyRing.loadOrCreate(dir.resolve("keys"), type, null);
            KeyPair user = KeyUtils.generateKeyPair("ssh-ed25519", 256);
            TreeMap<String, String> extensions = new TreeMap<>(Map.of("permit-pty", "", "roles@writ", "engineer,sre"));
            CertificateRequest request = new CertificateRequest(CertificateRequest.Kind.USER, -2L, user.getPublic(),
                    "alice@example.com", List.of("alice", "ops"), AFTER, BEFORE,
                    new TreeMap<>(Map.of("source-address", "127.0.0.1/32")), extensions);

            SignedCertificate signed = new OpenSshCertificateSigner(keys).sign(request);
            String listing = keygenList(signed.line());

            assertTrue(listing.contains("Type: ssh-ed25519-cert-v01@openssh.com user certificate"), listing);
            assertTrue(listing.contains("Key ID: \"alice@example.com\""), listing);
            assertTrue(listing.contains("Serial: 18446744073709551614"), listing);
            assertTrue(listing.contains("Valid: from " + local(AFTER) + " to " + local(BEFORE)), listing);
            assertTrue(listing.matches("(?s).*Principals: \\n\\s+alice\\n\\s+ops\\n.*"), listing);
            assertTrue(listing.matches("(?s).*Critical Options: \\n\\s+source-address 127.0.0.1/32\\n.*"), listing);
            assertTrue(listing.matches("(?s).*Extensions: \\n\\s+permit-pty\\n\\s+roles@writ.*"), listing);
            String expectedSigning = switch (type) {
                case ed25519 -> "Signing CA: ED25519";
                case ecdsa -> "Signing CA: ECDSA";
                case rsa -> "using rsa-sha2-512";
            };
            assertTrue(listing.contains(expectedSigning), listing);
        }

        @Test
        void hostCertificateIsOfTypeHost() throws Exception {
            CaKeyRing keys = CaKeyRing.loadOrCreate(dir.resolve("keys"), KeyType.ed25519, null);
            KeyPair host = KeyUtils.generateKeyPair("ssh-ed25519", 256);
            SignedCertificate signed = new OpenSshCertificateSigner(keys).sign(new CertificateRequest(
                    CertificateRequest.Kind.HOST, 7, host.getPublic(), "web01", List.of("web01.example.com"), AFTER, BEFORE,
                    new TreeMap<>(), new TreeMap<>()));
            String listing = keygenList(signed.line());
            assertTrue(listing.contains("host certificate"), listing);
            assertTrue(listing.contains("web01.example.com"), listing);
        }

        private String keygenList(String line) throws Exception {
            Path file = Files.writeString(dir.resolve("id-cert.pub"), line + "\n");
            Processes.Result result = Processes.run(List.of("ssh-keygen", "-L", "-f", file.toString()));
            assertEquals(0, result.exitCode(), result.output());
            return result.output();
        }

        private String local(Instant instant) {
            return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").format(instant.atZone(java.time.ZoneId.systemDefault()));
        }
    }

    @Nested
    class ProfileInvariants {

        KeyPair key() throws Exception {
            return KeyUtils.generateKeyPair("ssh-ed25519", 256);
        }

        @Test
        void refusesEmptyPrincipals() throws Exception {
            var key = key().getPublic();
            var e = assertThrows(IllegalArgumentException.class, () -> new CertificateRequest(CertificateRequest.Kind.USER,
                    1, key, "alice", List.of(), AFTER, BEFORE, new TreeMap<>(), new TreeMap<>()));
            assertEquals("a certificate must name at least one principal", e.getMessage());
        }

        @Test
        void refusesWildcardPrincipal() throws Exception {
            var key = key().getPublic();
            var e = assertThrows(IllegalArgumentException.class, () -> new CertificateRequest(CertificateRequest.Kind.USER,
                    1, key, "alice", List.of("*"), AFTER, BEFORE, new TreeMap<>(), new TreeMap<>()));
            assertEquals("principal '*' is not allowed in a certificate", e.getMessage());
        }

        @Test
        void refusesZeroSerial() throws Exception {
            var key = key().getPublic();
            var e = assertThrows(IllegalArgumentException.class, () -> new CertificateRequest(CertificateRequest.Kind.USER,
                    0, key, "alice", List.of("alice"), AFTER, BEFORE, new TreeMap<>(), new TreeMap<>()));
            assertEquals("serial must not be zero", e.getMessage());
        }

        @Test
        void serialsAreNeverZeroAndDiffer() {
            Serials serials = new Serials();
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (int i = 0; i < 10_000; i++) {
                long serial = serials.next();
                assertTrue(serial != 0);
                assertTrue(seen.add(serial), "serial repeated");
            }
        }
    }
}
