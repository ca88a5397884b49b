package dev.writ.ca.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.Main;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.testing.CaKeysCli;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.SoftHsm;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA keys in a SoftHSM2 token: generated there at the first start (ECDSA P-256, not
 * extractable), certificates signed there are taken by the real sshd, and a rotation's next key
 * is generated in the token too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Pkcs11KeysTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOGIN = Sshd.currentUser();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%s"]
                max_ttl: 8h
            """.formatted(LOGIN);

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    SoftHsm.Token token;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        token = SoftHsm.createToken(dir.resolve("hsm"), "writ-ca");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                token.caConfig() + "key_refresh_seconds: 1\n");
    }

    @AfterAll
    void stop() throws Exception {
        ca.close();
        idp.close();
    }

    @Test
    void theKeysAreGeneratedInTheTokenAsEcdsaP256AndCannotBeReadOut() throws Exception {
        JsonNode keys = JSON.readTree(ca.get("/v1/ca").body());
        for (String kind : List.of("user", "session", "host")) {
            for (JsonNode key : keys.get(kind)) {
                assertTrue(key.asText().startsWith("ecdsa-sha2-nistp256 "), keys.toString());
            }
        }
        for (String file : List.of("user_ca", "session_ca", "host_ca")) {
            assertFalse(Files.exists(ca.keys().resolve(file)), "no key file " + file);
        }
        Pkcs11Token opened = Pkcs11Token.open(ConfigLoader.load(ca.config()).pkcs11());
        assertFalse(opened.supportsEd25519(), "JDK 17's SunPKCS11 has no EdDSA: the README says ECDSA P-256");
        for (String name : List.of("user_ca", "session_ca", "host_ca")) {
            CaSigner signer = opened.find("writ-" + name).orElseThrow();
            assertFalse(Pkcs11Token.isExtractable(signer), name + " is sensitive and not extractable");
            assertEquals("pkcs11:writ-" + name, signer.location());
        }
        assertEquals(1, keys.get("user").size());
        assertEquals(PublicKeys.fingerprint(PublicKeys.parse(keys.get("user").get(0).asText())),
                PublicKeys.fingerprint(opened.find("writ-user_ca").orElseThrow().publicKey()));
    }

    @Test
    void theAuditKeyThatSignsCheckpointsLivesInTheTokenToo() throws Exception {
        JsonNode published = JSON.readTree(ca.get("/v1/audit/key").body());
        assertTrue(published.get("key").asText().startsWith("ecdsa-sha2-nistp256 "), published.toString());
        assertFalse(Files.exists(ca.keys().resolve("audit_key")), "no audit key file beside a token");
        Pkcs11Token opened = Pkcs11Token.open(ConfigLoader.load(ca.config()).pkcs11());
        CaSigner audit = opened.find("writ-audit_key").orElseThrow();
        assertFalse(Pkcs11Token.isExtractable(audit), "the audit key is sensitive and not extractable");
        assertEquals(PublicKeys.fingerprint(PublicKeys.parse(published.get("key").asText())),
                PublicKeys.fingerprint(audit.publicKey()));
    }

    @Test
    void aCertificateSignedInTheTokenOpensARealSshd() throws Exception {
        Path engineer = Files.createDirectories(dir.resolve("engineer"));
        KeyPair pair = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Path key = engineer.resolve("id_ed25519");
        try (var out = Files.newOutputStream(key)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, "engineer", null, out);
        }
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        String certificate = issue(pair);
        Path certFile = Files.writeString(engineer.resolve("id_ed25519-cert.pub"), certificate + "\n");
        Processes.Result shown = Processes.run(List.of("ssh-keygen", "-L", "-f", certFile.toString()));
        assertTrue(shown.output().contains("Signing CA: ECDSA SHA256:"), shown.output());

        String userCa = JSON.readTree(ca.get("/v1/ca").body()).get("user").get(0).asText();
        try (Sshd sshd = Sshd.in(dir.resolve("sshd")).trustedUserCaKeys(userCa + "\n").start()) {
            Processes.Result login = Processes.run(List.of("ssh", "-F", "/dev/null", "-o", "IdentitiesOnly=yes",
                    "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-i", key.toString(),
                    "-o", "CertificateFile=" + certFile, "-p", Integer.toString(sshd.port()), LOGIN + "@127.0.0.1",
                    "echo", "signed-in-the-token"), 30);
            assertEquals(0, login.exitCode(), login.output() + sshd.log());
            assertEquals("signed-in-the-token\n", login.output());
            assertTrue(sshd.log().contains("signed by ECDSA CA"), sshd.log());
        }
    }

    @Test
    void aRotationsNextKeyIsGeneratedInTheTokenAndSignsOnceActivated() throws Exception {
        CaKeysCli.Run added = CaKeysCli.run(ca.config(), "add", "host");
        assertEquals(0, added.exit(), added.toString());
        assertTrue(added.out().contains("  pkcs11:writ-host_ca.2"), added.out());
        String next = added.fingerprint();
        CaKeysCli.Run activated = CaKeysCli.run(ca.config(), "activate", "host", next);
        assertEquals(0, activated.exit(), activated.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String first;
        do {
            Thread.sleep(200);
            first = JSON.readTree(ca.get("/v1/ca").body()).get("host").get(0).asText();
        } while (!next.equals(PublicKeys.fingerprint(PublicKeys.parse(first))) && System.nanoTime() < deadline);
        assertEquals(next, PublicKeys.fingerprint(PublicKeys.parse(first)), "the token's new key signs host certificates");
    }

    @Test
    void aPinFileOthersCanReadIsRefusedAndNotShown() throws Exception {
        Path loose = dir.resolve("loose.pin");
        Files.writeString(loose, Files.readString(token.pinFile()));
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rw-r--r--"));
        Path other = Files.createDirectories(dir.resolve("ca-loose"));
        Files.writeString(other.resolve("ca.yaml"), Files.readString(ca.config())
                .replace(token.pinFile().toString(), loose.toString()).replaceFirst("(?m)^listen: .*$", "listen: 127.0.0.1:0"));
        Files.createDirectories(other.resolve("policies"));
        Files.writeString(other.resolve("policies/policy.yaml"), POLICY);
        Main.StartupException refused = assertThrows(Main.StartupException.class,
                () -> Main.start(ConfigLoader.load(other.resolve("ca.yaml")), Clock.systemUTC()));
        assertTrue(refused.getMessage().contains("loose.pin has mode rw-r--r--; it holds a secret"), refused.getMessage());
        assertFalse(refused.getMessage().contains(Files.readString(token.pinFile()).strip()), "the PIN is never shown");
    }

    private String issue(KeyPair pair) throws Exception {
        var response = ca.post("/v1/certs/user", idp.idToken("alice@example.com", List.of("engineering")),
                JSON.writeValueAsString(Map.of("public_key", PublicKeyEntry.toString(pair.getPublic()))));
        assertEquals(201, response.statusCode(), response.body());
        String certificate = JSON.readTree(response.body()).get("certificate").asText();
        OpenSshCertificate parsed = (OpenSshCertificate) PublicKeyEntry.parsePublicKeyEntry(certificate)
                .resolvePublicKey(null, null, null);
        assertEquals("ecdsa-sha2-nistp256", parsed.getSignatureAlgorithm());
        return certificate;
    }
}
