package dev.writ.ca.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.CaKeysCli;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ-ca keys add|activate|retire} against a running CA: each step reaches it through the
 * key table within its refresh interval, without a restart, and is audited.
 */
class KeyRotationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
            """;

    @TempDir
    Path dir;
    TestIdp idp;
    TestCa ca;
    String token;

    @BeforeEach
    void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(), "key_refresh_seconds: 1\n");
        token = idp.idToken("alice@example.com", List.of("engineering"));
    }

    @AfterEach
    void stop() throws Exception {
        ca.close();
        idp.close();
    }

    @Test
    void aNextKeyIsPublishedAtOnceSignsWhenActivatedAndIsGoneWhenRetired() throws Exception {
        String old = PublicKeys.fingerprint(PublicKeys.parse(published("user").get(0)));
        CaKeysCli.Run added = CaKeysCli.run(ca.config(), "add", "user");
        assertEquals(0, added.exit(), added.toString());
        String next = added.fingerprint();
        assertTrue(added.out().contains("user_ca  next  " + next + "  file:user_ca.2"), added.out());

        await(() -> published("user").size() == 2, "the next key is published");
        assertEquals(old, fingerprint(published("user").get(0)), "the old key still comes first: it signs");
        assertTrue(ca.get("/v1/ca/known_hosts").body().lines().count() >= 1);
        assertEquals(old, signerOf(issue()), "the next key does not sign yet");

        CaKeysCli.Run activated = CaKeysCli.run(ca.config(), "activate", "user", next);
        assertEquals(0, activated.exit(), activated.toString());
        await(() -> next.equals(signerOf(issue())), "the next key signs");
        assertEquals(List.of(next, old), published("user").stream().map(KeyRotationTest::fingerprint).toList());

        // the certificate issued while the old key signed is still valid: retiring it is refused, naming it
        CaKeysCli.Run refused = CaKeysCli.run(ca.config(), "retire", "user", old);
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().matches("writ-ca keys: \\d+ certificate\\(s\\) signed by " + java.util.regex.Pattern.quote(old)
                + " are still valid and not revoked, the last until 20\\d\\d-[-0-9T:.Z]+; retire it after then, revoke them, or use --force\\n"),
                refused.err());
        assertEquals(2, published("user").size(), "a refused step changes nothing");

        CaKeysCli.Run retired = CaKeysCli.run(ca.config(), "retire", "user", old, "--force");
        assertEquals(0, retired.exit(), retired.toString());
        await(() -> published("user").size() == 1, "the old key is no longer published");
        assertEquals(next, fingerprint(published("user").get(0)));

        // the running CA writes each step to its audit chain at its next look at the key table
        await(() -> auditTypes().equals(List.of("ca.key.added", "ca.key.activated", "ca.key.retired")),
                "the three steps are audited");
        CaKeysCli.Run listed = CaKeysCli.run(ca.config(), "list");
        assertTrue(listed.out().contains("user_ca  retired  " + old), listed.out());
        assertTrue(listed.out().contains("user_ca  active  " + next), listed.out());
        assertTrue(listed.out().contains("host_ca  active  "), listed.out());
    }

    @Test
    void stepsThatCannotBeTakenAreRefusedInOneLineAndChangeNothing() throws Exception {
        String active = fingerprint(published("session").get(0));
        record Case(String name, String[] args, String error) {
        }
        List<Case> cases = List.of(
                new Case("fail/unknown-ca", new String[] {"add", "bastion"},
                        "writ-ca keys: no CA named 'bastion' (user, session or host)\n"),
                new Case("fail/unknown-key", new String[] {"activate", "session", "SHA256:nope"},
                        "writ-ca keys: session_ca has no key SHA256:nope (writ-ca keys list)\n"),
                new Case("fail/retire-the-signer", new String[] {"retire", "session", active},
                        "writ-ca keys: " + active + " signs for session_ca: activate another key first\n"),
                new Case("fail/activate-the-signer", new String[] {"activate", "session", active},
                        "writ-ca keys: " + active + " already signs for session_ca\n"));
        for (Case c : cases) {
            CaKeysCli.Run run = CaKeysCli.run(ca.config(), c.args());
            assertEquals(1, run.exit(), c.name() + ": " + run);
            assertEquals(c.error(), run.err(), c.name());
        }
        Thread.sleep(1500); // one refresh interval and more: nothing arrives
        assertEquals(List.of(), auditTypes());
        assertEquals(1, published("session").size());
    }

    private List<String> published(String kind) throws Exception {
        JsonNode keys = JSON.readTree(ca.get("/v1/ca").body()).get(kind);
        List<String> lines = new ArrayList<>();
        keys.forEach(k -> lines.add(k.asText()));
        return lines;
    }

    private static String fingerprint(String line) {
        try {
            return PublicKeys.fingerprint(PublicKeys.parse(line));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private OpenSshCertificate issue() throws Exception {
        KeyPair pair = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        var response = ca.post("/v1/certs/user", token,
                JSON.writeValueAsString(Map.of("public_key", PublicKeyEntry.toString(pair.getPublic()))));
        assertEquals(201, response.statusCode(), response.body());
        return (OpenSshCertificate) PublicKeyEntry.parsePublicKeyEntry(JSON.readTree(response.body()).get("certificate").asText())
                .resolvePublicKey(null, null, null);
    }

    private static String signerOf(OpenSshCertificate certificate) {
        return PublicKeys.fingerprint(certificate.getCaPubKey());
    }

    private List<String> auditTypes() throws Exception {
        List<String> types = new ArrayList<>();
        try (Connection c = ca.sql(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT type FROM audit_events WHERE type LIKE 'ca.key.%' ORDER BY seq")) {
            while (rs.next()) {
                types.add(rs.getString(1));
            }
        }
        return types;
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void await(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(100);
        }
    }
}
