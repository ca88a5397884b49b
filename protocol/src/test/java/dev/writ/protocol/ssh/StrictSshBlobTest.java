package dev.writ.protocol.ssh;

import static dev.writ.protocol.ssh.SshBlobs.concat;
import static dev.writ.protocol.ssh.SshBlobs.list;
import static dev.writ.protocol.ssh.SshBlobs.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.protocol.ssh.SshBlobs.Certificate;
import dev.writ.protocol.ssh.SshBlobs.Option;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link StrictSshBlob} through {@link PublicKeys#parse}: what the real ssh-keygen and MINA's
 * certificate builder make is accepted; each way of breaking the encoding that OpenSSH refuses
 * is refused with its own message. Malformed blobs are valid ones re-encoded with one change.
 */
class StrictSshBlobTest {

    @TempDir
    static Path dir;
    /** Lines made by ssh-keygen, by name: plain keys ("ed25519"), CA keys ("ca-rsa"), certificates ("cert-..."). */
    static final Map<String, String> LINES = new LinkedHashMap<>();

    @BeforeAll
    static void makeKeysAndCertificatesWithSshKeygen() throws Exception {
        for (String[] key : List.of(new String[] {"ed25519", "-t", "ed25519"}, new String[] {"ecdsa256", "-t", "ecdsa", "-b", "256"},
                new String[] {"ecdsa384", "-t", "ecdsa", "-b", "384"}, new String[] {"ecdsa521", "-t", "ecdsa", "-b", "521"},
                new String[] {"rsa", "-t", "rsa", "-b", "2048"}, new String[] {"ca-ed25519", "-t", "ed25519"},
                new String[] {"ca-ecdsa384", "-t", "ecdsa", "-b", "384"}, new String[] {"ca-rsa", "-t", "rsa", "-b", "2048"})) {
            List<String> command = new ArrayList<>(List.of("ssh-keygen", "-q", "-N", "", "-C", "", "-f", dir.resolve(key[0]).toString()));
            command.addAll(Arrays.asList(key).subList(1, key.length));
            run(command.toArray(String[]::new));
            LINES.put(key[0], Files.readString(dir.resolve(key[0] + ".pub")).strip());
        }
        // a user certificate for each key type, with both critical options and the default extensions
        for (String key : List.of("ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa")) {
            certify("cert-" + key, key, "ca-ed25519", "-I", "alice@example.com", "-n", "alice,root", "-V", "-5m:+1h",
                    "-O", "force-command=/bin/true", "-O", "source-address=10.0.0.0/8");
        }
        // a certificate signed by each other kind of CA key (rsa-sha2-512 and ecdsa-sha2-nistp384 signatures)
        certify("cert-by-rsa-ca", "ed25519", "ca-rsa", "-I", "bob", "-n", "bob");
        certify("cert-by-ecdsa-ca", "ed25519", "ca-ecdsa384", "-I", "bob", "-n", "bob");
        certify("cert-host", "ecdsa256", "ca-ed25519", "-h", "-I", "web01", "-n", "web01.example.com");
        certify("cert-custom-extensions", "ed25519", "ca-ed25519", "-I", "carol", "-n", "carol", "-O", "clear",
                "-O", "extension:zeta@example.com=1", "-O", "permit-pty", "-O", "extension:alpha@example.com");
        certify("cert-no-principals", "ed25519", "ca-ed25519", "-I", "nobody", "-O", "clear");
        // a second CA's key, certified by the first: what a certificate-as-CA-key attack carries
        run("ssh-keygen", "-q", "-N", "", "-C", "", "-t", "ed25519", "-f", dir.resolve("ca2").toString());
        LINES.put("ca2", Files.readString(dir.resolve("ca2.pub")).strip());
        certify("cert-ca2", "ca2", "ca-ed25519", "-I", "ca2", "-n", "ca2");
    }

    static void certify(String name, String key, String ca, String... options) throws Exception {
        Path copy = dir.resolve(name);
        Files.copy(dir.resolve(key + ".pub"), Path.of(copy + ".pub"));
        List<String> command = new ArrayList<>(List.of("ssh-keygen", "-q", "-s", dir.resolve(ca).toString()));
        command.addAll(List.of(options));
        command.add(copy + ".pub");
        run(command.toArray(String[]::new));
        LINES.put(name, Files.readString(Path.of(copy + "-cert.pub")).strip());
    }

    static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }

    static String line(String name) {
        return LINES.get(name);
    }

    static byte[] blob(String name) {
        return SshBlobs.blob(line(name));
    }

    /** The plain key {@code name} with one of its strings (0 is the type name) replaced. */
    static String changedKey(String name, int index, byte[] replacement) {
        List<byte[]> strings = new ArrayList<>(SshBlobs.strings(blob(name)));
        strings.set(index, replacement);
        return SshBlobs.line(SshBlobs.strings(strings));
    }

    static byte[] withTrailing(byte[] blob, int count) {
        return concat(blob, new byte[count]);
    }

    @Nested
    class Accepts {

        static Stream<String> sshKeygenLines() {
            return LINES.keySet().stream();
        }

        @ParameterizedTest(name = "ok/ssh-keygen-{0}")
        @MethodSource("sshKeygenLines")
        void whatSshKeygenMakes(String name) throws Exception {
            PublicKey key = PublicKeys.parse(line(name));
            StrictSshBlob.Shape shape = StrictSshBlob.check(blob(name));
            assertEquals(line(name).split(" ")[0], shape.type());
            assertEquals(name.startsWith("cert-"), shape.certificate());
            assertEquals(shape.certificate(), key instanceof OpenSshCertificate);
        }

        static Stream<Arguments> minaCertificates() {
            return Stream.of(Arguments.of("ssh-ed25519", 256), Arguments.of("ecdsa-sha2-nistp256", 256),
                    Arguments.of("ecdsa-sha2-nistp521", 521), Arguments.of("ssh-rsa", 2048));
        }

        /** What writ's CA signs: MINA's builder, given the options in no particular order. */
        @ParameterizedTest(name = "ok/mina-builder-signed-by-{0}")
        @MethodSource("minaCertificates")
        void whatMinasCertificateBuilderMakes(String caType, int bits) throws Exception {
            KeyPair ca = KeyUtils.generateKeyPair(caType, bits);
            Map<String, String> extensions = new HashMap<>();
            for (String name : List.of("roles@writ", "permit-pty", "permit-X11-forwarding", "zz@example.com",
                    "permit-port-forwarding", "permit-agent-forwarding", "permit-user-rc", "a@example.com")) {
                extensions.put(name, name.contains("@") ? "engineer,sre" : "");
            }
            Map<String, String> critical = new HashMap<>(Map.of("source-address", "10.0.0.0/8,192.0.2.1/32",
                    "force-command", "/usr/bin/true"));
            OpenSshCertificate certificate = OpenSshCertificateBuilder.userCertificate()
                    .publicKey(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic()).serial(42).id("alice@example.com")
                    .principals(List.of("alice", "root")).validAfter(Instant.now()).validBefore(Instant.now().plusSeconds(60))
                    .criticalOptions(critical).extensions(extensions)
                    .sign(ca, "ssh-rsa".equals(caType) ? KeyUtils.RSA_SHA512_KEY_TYPE_ALIAS : caType);
            String line = PublicKeyEntry.toString(certificate);
            OpenSshCertificate parsed = (OpenSshCertificate) PublicKeys.parse(line);
            assertEquals(extensions.keySet(), parsed.getExtensionsMap().keySet());
            assertEquals(critical, parsed.getCriticalOptionsMap());
        }

        @Test
        void aDsaKeyLineAsFarAsParsingGoes() throws Exception {
            java.security.KeyPairGenerator dsa = java.security.KeyPairGenerator.getInstance("DSA");
            dsa.initialize(1024);
            String line = PublicKeyEntry.toString(dsa.generateKeyPair().getPublic());
            assertEquals("ssh-dss", StrictSshBlob.check(SshBlobs.blob(line)).type());
            InvalidKeyException refused = assertThrows(InvalidKeyException.class, () -> PublicKeys.parseCertifiable(line));
            assertFalse(refused.malformed(), "DSA is a key writ does not want, not a malformed one");
        }
    }

    /** What the real ssh-keygen says of the same line: the rule is OpenSSH's own, or one writ adds. */
    enum OpenSsh { REFUSES, ACCEPTS, NOT_COMPARED }

    static Stream<Arguments> malformed() throws Exception {
        byte[] ed25519 = blob("ed25519");
        List<byte[]> rsa = SshBlobs.strings(blob("rsa"));
        List<byte[]> ecdsa = SshBlobs.strings(blob("ecdsa256"));
        byte[] offCurve = Arrays.copyOf(ecdsa.get(2), ecdsa.get(2).length);
        offCurve[offCurve.length - 1] ^= 1;
        byte[] compressed = concat(new byte[] {(byte) (2 + (ecdsa.get(2)[64] & 1))}, Arrays.copyOfRange(ecdsa.get(2), 1, 33));
        KeyPair ca2 = SshBlobs.keyPair(dir.resolve("ca2"));
        return Stream.of(
                // a plain key
                row("fail/trailing-bytes-after-key", SshBlobs.line(withTrailing(ed25519, 3)),
                        "public_key: 3 bytes after the end of the key", OpenSsh.REFUSES),
                row("fail/line-type-differs-from-blob-type", SshBlobs.line("ssh-rsa", ed25519),
                        "public_key: the line says ssh-rsa but the key is ssh-ed25519", OpenSsh.REFUSES),
                row("fail/plain-type-on-a-certificate", SshBlobs.line("ssh-ed25519", blob("cert-ed25519")),
                        "public_key: the line says ssh-ed25519 but the key is ssh-ed25519-cert-v01@openssh.com", OpenSsh.REFUSES),
                row("fail/unknown-key-type", SshBlobs.line(concat(string("ssh-foo"), string(new byte[32]))),
                        "public_key: unknown key type 'ssh-foo'", OpenSsh.REFUSES),
                row("fail/short-name-as-key-type", SshBlobs.line(concat(string("ED25519"), string(new byte[32]))),
                        "public_key: unknown key type 'ED25519'", OpenSsh.REFUSES),
                row("fail/nul-in-key-type", SshBlobs.line(concat(string("ssh-ed25519\0"), string(new byte[32]))),
                        "public_key: the key type contains a NUL byte", OpenSsh.REFUSES),
                row("fail/ed25519-key-31-bytes", changedKey("ed25519", 1, new byte[31]),
                        "public_key: the Ed25519 key is 31 bytes long, not 32", OpenSsh.REFUSES),
                row("fail/ed25519-key-33-bytes", changedKey("ed25519", 1, new byte[33]),
                        "public_key: the Ed25519 key is 33 bytes long, not 32", OpenSsh.REFUSES),
                row("fail/ecdsa-curve-not-the-types", changedKey("ecdsa256", 1, "nistp384".getBytes()),
                        "public_key: the ECDSA curve 'nistp384' is not the curve of ecdsa-sha2-nistp256", OpenSsh.REFUSES),
                row("fail/ecdsa-point-not-on-the-curve", changedKey("ecdsa256", 2, offCurve),
                        "public_key: the ECDSA point is not on curve nistp256", OpenSsh.REFUSES),
                row("fail/ecdsa-point-compressed", changedKey("ecdsa256", 2, compressed),
                        "public_key: the ECDSA point is not in uncompressed form", OpenSsh.REFUSES),
                row("fail/rsa-exponent-negative", changedKey("rsa", 1, new byte[] {(byte) 0x81, 0, 1}),
                        "public_key: the RSA exponent is negative", OpenSsh.REFUSES),
                row("fail/rsa-modulus-negative", changedKey("rsa", 2, Arrays.copyOfRange(rsa.get(2), 1, rsa.get(2).length)),
                        "public_key: the RSA modulus is negative", OpenSsh.REFUSES),
                row("fail/rsa-exponent-padded-with-zero", changedKey("rsa", 1, concat(new byte[] {0}, rsa.get(1))),
                        "public_key: the RSA exponent has an unnecessary leading zero byte", OpenSsh.ACCEPTS),
                row("fail/rsa-modulus-padded-with-zero", changedKey("rsa", 2, concat(new byte[] {0}, rsa.get(2))),
                        "public_key: the RSA modulus has an unnecessary leading zero byte", OpenSsh.ACCEPTS),
                // a certificate, signed again by its CA after the change: only the change is wrong
                row("fail/trailing-bytes-after-certificate", SshBlobs.line(withTrailing(blob("cert-ed25519"), 4)),
                        "public_key: 4 bytes after the end of the certificate", OpenSsh.REFUSES),
                row("fail/certificate-type-3", resigned("cert-ed25519", c -> c.certificateType = 3),
                        "public_key: certificate type 3 is neither user (1) nor host (2)", OpenSsh.REFUSES),
                row("fail/nul-in-key-id", resigned("cert-ed25519", c -> c.keyId = "alice\0root".getBytes()),
                        "public_key: the key id contains a NUL byte", OpenSsh.REFUSES),
                row("fail/nul-in-principal", resigned("cert-ed25519", c -> c.principals = list("alice\0root".getBytes())),
                        "public_key: the principal contains a NUL byte", OpenSsh.REFUSES),
                row("fail/principals-list-malformed", resigned("cert-ed25519",
                                c -> c.principals = concat(SshBlobs.uint32(10), "abc".getBytes())),
                        "public_key: truncated principal in the certificate's principals", OpenSsh.REFUSES),
                row("fail/257-principals", resigned("cert-ed25519", c -> c.principals = list(
                                IntStream.range(0, 257).mapToObj(i -> ("p" + i).getBytes()).toArray(byte[][]::new))),
                        "public_key: the certificate names more than 256 principals", OpenSsh.REFUSES),
                row("fail/critical-options-list-malformed", resigned("cert-ed25519", c -> c.criticalOptions =
                                concat(string("force-command"), SshBlobs.uint32(100), string("/bin/true"))),
                        "public_key: truncated value of critical option 'force-command' in the certificate's critical options",
                        OpenSsh.REFUSES),
                row("fail/critical-options-not-in-order", resigned("cert-ed25519", c -> c.criticalOptions = SshBlobs.options(
                                List.of(Option.text("source-address", "10.0.0.0/8"), Option.text("force-command", "/bin/true")))),
                        "public_key: the certificate's critical options are not in order: 'force-command' comes after 'source-address'",
                        OpenSsh.ACCEPTS),
                row("fail/critical-option-twice", resigned("cert-ed25519", c -> c.criticalOptions = SshBlobs.options(
                                List.of(Option.text("source-address", "10.0.0.0/8"), Option.text("source-address", "0.0.0.0/0")))),
                        "public_key: the certificate's critical option 'source-address' appears twice", OpenSsh.ACCEPTS),
                row("fail/force-command-value-not-a-string", resigned("cert-ed25519", c -> c.criticalOptions =
                                SshBlobs.options(List.of(new Option("force-command", "/bin/true".getBytes())))),
                        "public_key: the value of the certificate's critical option 'force-command' is not one string",
                        OpenSsh.ACCEPTS),
                row("fail/source-address-value-with-a-byte-after-it", resigned("cert-ed25519", c -> c.criticalOptions =
                                SshBlobs.options(List.of(new Option("source-address", concat(string("10.0.0.0/8"), new byte[1]))))),
                        "public_key: the value of the certificate's critical option 'source-address' is not one string",
                        OpenSsh.ACCEPTS),
                row("fail/extensions-not-in-order", resigned("cert-ed25519", c -> c.extensions = SshBlobs.options(
                                swapFirstTwo(SshBlobs.options(c.extensions)))),
                        "public_key: the certificate's extensions are not in order: 'permit-X11-forwarding' comes after"
                                + " 'permit-agent-forwarding'", OpenSsh.ACCEPTS),
                row("fail/extension-twice", resigned("cert-ed25519", c -> c.extensions = SshBlobs.options(
                                List.of(Option.flag("permit-pty"), Option.flag("permit-pty")))),
                        "public_key: the certificate's extension 'permit-pty' appears twice", OpenSsh.ACCEPTS),
                row("fail/flag-extension-with-a-value", resigned("cert-ed25519", c -> c.extensions = SshBlobs.options(
                                List.of(Option.text("permit-pty", "yes")))),
                        "public_key: the certificate's extension 'permit-pty' carries a value; it must be empty",
                        OpenSsh.ACCEPTS),
                row("fail/rsa-certificate-modulus-padded-with-zero", resigned("cert-rsa", c -> c.key.set(1,
                                concat(new byte[] {0}, c.key.get(1)))),
                        "public_key: the RSA modulus has an unnecessary leading zero byte", OpenSsh.ACCEPTS),
                row("fail/ecdsa-certificate-curve-not-the-types", resigned("cert-ecdsa384", c -> c.key.set(0,
                                "nistp256".getBytes())),
                        "public_key: the ECDSA curve 'nistp256' is not the curve of ecdsa-sha2-nistp384", OpenSsh.REFUSES),
                // who signed it: a certificate of a key our CA certified is still no CA key
                row("fail/signature-key-is-a-certificate", changed("cert-ed25519", c -> {
                    c.signatureKey = blob("cert-ca2");
                    c.signedBy(ca2, "ssh-ed25519");
                }), "public_key: the certificate's signature key is itself a certificate (ssh-ed25519-cert-v01@openssh.com),"
                        + " not a CA key", OpenSsh.REFUSES),
                row("fail/trailing-bytes-after-signature-key", resigned("cert-ed25519", c -> c.signatureKey =
                                withTrailing(c.signatureKey, 2)),
                        "public_key: the certificate's signature key is malformed: 2 bytes after the end of the key",
                        OpenSsh.REFUSES),
                row("fail/signature-key-of-unknown-type", changed("cert-ed25519", c -> c.signatureKey =
                                concat(string("ssh-foo"), string(new byte[32]))),
                        "public_key: the certificate's signature key is malformed: unknown key type 'ssh-foo'", OpenSsh.REFUSES),
                row("fail/signature-key-rsa-modulus-padded", resigned("cert-by-rsa-ca", "ca-rsa", "rsa-sha2-512",
                                c -> c.signatureKey = padModulus(c.signatureKey)),
                        "public_key: the certificate's signature key is malformed: the RSA modulus has an unnecessary leading"
                                + " zero byte", OpenSsh.ACCEPTS),
                // the signature itself (no CA signs these, so OpenSSH refuses them for their signature anyway)
                row("fail/trailing-bytes-after-signature", changed("cert-ed25519", c -> c.signature = withTrailing(c.signature, 2)),
                        "public_key: 2 bytes after the end of the certificate's signature", OpenSsh.NOT_COMPARED),
                row("fail/signature-of-another-algorithm", changed("cert-ed25519", c -> c.signature =
                                concat(string("rsa-sha2-512"), string(new byte[64]))),
                        "public_key: the certificate's signature is 'rsa-sha2-512', which a ssh-ed25519 CA key cannot make",
                        OpenSsh.NOT_COMPARED),
                row("fail/ed25519-signature-63-bytes", changed("cert-ed25519", c -> c.signature =
                                concat(string("ssh-ed25519"), string(new byte[63]))),
                        "public_key: the Ed25519 signature is 63 bytes long, not 64", OpenSsh.NOT_COMPARED),
                row("fail/trailing-bytes-inside-ecdsa-signature", changed("cert-by-ecdsa-ca", c -> c.signature =
                                ecdsaSignatureWithTrailing(c.signature)),
                        "public_key: 1 byte after the end of the ECDSA signature", OpenSsh.NOT_COMPARED),
                row("fail/rsa-signature-longer-than-the-modulus", changed("cert-by-rsa-ca", c -> c.signature =
                                concat(string("rsa-sha2-512"), string(new byte[257]))),
                        "public_key: the RSA signature is 257 bytes long; the CA key's modulus is 256", OpenSsh.NOT_COMPARED),
                // cut short: garbage rather than a crafted blob, answered as before
                row("fail/certificate-cut-short", SshBlobs.line("ssh-ed25519-cert-v01@openssh.com",
                                Arrays.copyOf(blob("cert-ed25519"), 100)),
                        "public_key is not a valid OpenSSH public key", OpenSsh.REFUSES));
    }

    static Arguments row(String name, String line, String detail, OpenSsh openSsh) {
        return Arguments.of(name, line, detail, openSsh);
    }

    interface Change {
        void apply(Certificate certificate) throws Exception;
    }

    /** The certificate {@code name} with one change, its signature left as it was. */
    static String changed(String name, Change change) throws Exception {
        Certificate certificate = Certificate.of(blob(name));
        change.apply(certificate);
        return certificate.line();
    }

    /** The certificate {@code name} (signed by ca-ed25519) with one change, signed again by ca-ed25519. */
    static String resigned(String name, Change change) throws Exception {
        return resigned(name, "ca-ed25519", "ssh-ed25519", change);
    }

    static String resigned(String name, String ca, String algorithm, Change change) throws Exception {
        return changed(name, c -> {
            change.apply(c);
            c.signedBy(SshBlobs.keyPair(dir.resolve(ca)), algorithm);
        });
    }

    static List<Option> swapFirstTwo(List<Option> options) {
        List<Option> swapped = new ArrayList<>(options);
        swapped.set(0, options.get(1));
        swapped.set(1, options.get(0));
        return swapped;
    }

    static byte[] padModulus(byte[] rsaKey) {
        List<byte[]> strings = new ArrayList<>(SshBlobs.strings(rsaKey));
        strings.set(2, concat(new byte[] {0}, strings.get(2)));
        return SshBlobs.strings(strings);
    }

    static byte[] ecdsaSignatureWithTrailing(byte[] signature) {
        List<byte[]> strings = SshBlobs.strings(signature);
        return concat(string(strings.get(0)), string(withTrailing(strings.get(1), 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void refusesWithThePreciseProblem(String name, String line, String detail, OpenSsh openSsh) throws Exception {
        InvalidKeyException refused = assertThrows(InvalidKeyException.class, () -> PublicKeys.parse(line));
        assertEquals(detail, refused.getMessage());
        assertEquals(!name.equals("fail/certificate-cut-short"), refused.malformed());
        if (openSsh != OpenSsh.NOT_COMPARED) {
            Path file = Files.writeString(dir.resolve(name.replace('/', '-') + ".pub"), line + "\n");
            Process keygen = new ProcessBuilder("ssh-keygen", "-l", "-f", file.toString()).redirectErrorStream(true).start();
            String output = new String(keygen.getInputStream().readAllBytes());
            assertTrue(keygen.waitFor(30, TimeUnit.SECONDS));
            assertEquals(openSsh == OpenSsh.ACCEPTS, keygen.exitValue() == 0, "ssh-keygen -l: " + output);
        }
    }

    @Test
    void refusesACertificateWhereAPlainKeyIsExpected() {
        InvalidKeyException refused = assertThrows(InvalidKeyException.class, () -> PublicKeys.parseCertifiable(line("cert-ed25519")));
        assertEquals("public_key is a certificate; send the plain public key", refused.getMessage());
    }

    @Test
    void namesTheFieldItWasGiven() {
        InvalidKeyException refused = assertThrows(InvalidKeyException.class,
                () -> PublicKeys.parse(SshBlobs.line(withTrailing(blob("cert-ed25519"), 1)), "user_certificate"));
        assertEquals("user_certificate: 1 byte after the end of the certificate", refused.getMessage());
    }

    @Test
    void tellsABlobThatEndsEarlyFromACraftedOne() {
        MalformedKeyException cut = assertThrows(MalformedKeyException.class,
                () -> StrictSshBlob.check(Arrays.copyOf(blob("cert-ed25519"), 100)));
        assertTrue(cut.truncated());
        assertEquals("truncated Ed25519 key in the certificate", cut.getMessage());
    }
}
