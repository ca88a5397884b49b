package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ revoke} in-process against a real CA over HTTP and a real OIDC provider: root is a
 * writ admin, engineers get certificates with {@code writ cert}, bob approves their requests.
 */
class RevokeCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final AtomicInteger PEOPLE = new AtomicInteger();
    static final String POLICY = Policies.ACCESS + """
            admins:
              - match: { groups: [writ-admins] }
            """;
    static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static Person root;
    static Person bob;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), POLICY);
        root = Person.loggedIn(shared.resolve("root"), idp, ca, "root@example.com", "writ-admins");
        bob = Person.loggedIn(shared.resolve("bob"), idp, ca, "bob@example.com", "sre-leads");
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    Person engineer(String name) {
        String email = name + PEOPLE.incrementAndGet() + "@example.com";
        return Person.loggedIn(dir.resolve(email), idp, ca, email, "engineering");
    }

    /** {@code writ cert}: the certificate file it wrote. */
    static Path certified(Person who) {
        Result result = who.run("cert");
        assertEquals(0, result.exit(), result.toString());
        return who.env().configDir().resolve("keys/id_writ-cert.pub");
    }

    static String serial(Path certificate) throws Exception {
        return Long.toUnsignedString(((OpenSshCertificate) PublicKeys.parse(java.nio.file.Files.readString(certificate)
                .strip())).getSerial());
    }

    static String login(Person who) {
        return who.email().substring(0, who.email().indexOf('@'));
    }

    static void ok(Result result) {
        assertEquals(0, result.exit(), result.toString());
        assertEquals("", result.err(), result.toString());
    }

    static void matches(String regex, String text) {
        assertTrue(Pattern.compile(regex, Pattern.DOTALL).matcher(text).matches(), text);
    }

    @Nested
    class Revoking {

        @Test
        void bySerialShowsTheCertificateAndTheKrlVersion() throws Exception {
            Person alice = engineer("alice");
            String serial = serial(certified(alice));

            Result result = root.run("revoke", "--serial", serial, "--reason", "laptop stolen");

            ok(result);
            matches("""
                    revoked        certificate %1$s \\(by serial\\)
                    reason         laptop stolen
                    certificates   %1$s  user  %2$s  \\S*%3$s\\S*  until %4$s
                    krl            version \\d+, 1 entry added
                    """.formatted(serial, Pattern.quote(alice.email()), login(alice), TIME), result.out());
        }

        @Test
        void twiceSaysNothingIsNew() throws Exception {
            String serial = serial(certified(engineer("alice")));
            ok(root.run("revoke", "--serial", serial, "--reason", "once"));

            Result again = root.run("revoke", "--serial", serial, "--reason", "twice");

            ok(again);
            assertTrue(again.out().matches("(?s).*\nkrl            version \\d+, nothing new \\(revoked already\\)\n"),
                    again.out());
        }

        @Test
        void byKeyFileTakesTheKeyOfACertificate() throws Exception {
            Person carol = engineer("carol");
            Path certificate = certified(carol);
            String fingerprint = PublicKeys.fingerprint(((OpenSshCertificate) PublicKeys.parse(
                    java.nio.file.Files.readString(certificate).strip())).getCertPubKey());

            Result result = root.run("revoke", "--key", certificate.toString(), "--reason", "key leaked");

            ok(result);
            assertTrue(result.out().startsWith("revoked        key " + fingerprint + " (plain or in any certificate)\n"),
                    result.out());
            assertTrue(result.out().contains("certificates   " + serial(certificate) + "  user  " + carol.email()),
                    result.out());
        }

        @Test
        void byKeyIdCoversLaterCertificatesToo() throws Exception {
            Person dan = engineer("dan");
            certified(dan);

            Result result = root.run("revoke", "--key-id", dan.email(), "--reason", "left the company");

            ok(result);
            assertTrue(result.out().startsWith("revoked        key id " + dan.email()
                    + " (every certificate with it, also later ones)\n"), result.out());
        }

        @Test
        void byIdentityCountsTheCertificates() throws Exception {
            Person erin = engineer("erin");
            String one = serial(certified(erin));
            String two = serial(certified(erin));

            Result result = root.run("revoke", "--identity", erin.email(), "--reason", "account compromised");

            ok(result);
            assertTrue(result.out().startsWith("revoked        2 certificates of " + erin.email() + " (by serial)\n"),
                    result.out());
            assertTrue(result.out().contains(one) && result.out().contains(two), result.out());
            assertTrue(result.out().endsWith(", 2 entries added\n"), result.out());
        }

        @Test
        void byGrantEndsTheGrant() throws Exception {
            Person fay = engineer("fay");
            Result requested = fay.run("request", "prod-admin", "--reason", "INC-4711", "--for", "1h", "--json");
            ok(requested);
            String id = JSON.readTree(requested.out()).get("id").asText();
            ok(bob.run("review", id, "--approve"));
            String serial = serial(certified(fay));

            Result result = root.run("revoke", "--grant", id, "--reason", "INC-4711 closed");

            ok(result);
            matches("""
                    revoked        1 certificate of grant %1$s \\(by serial\\)
                    reason         INC-4711 closed
                    certificates   %2$s  user  .*
                    grant          ended now
                    krl            version \\d+, 1 entry added
                    """.formatted(Pattern.quote(id), serial), result.out());
            Result mine = fay.run("requests", "--mine", "--json");
            JsonNode request = JSON.readTree(mine.out()).get("requests").get(0);
            assertEquals("ended", request.get("state").asText());
            assertEquals("revoked by root@example.com: INC-4711 closed", request.get("end_reason").asText());
        }

        @Test
        void jsonIsTheCasAnswer() throws Exception {
            String serial = serial(certified(engineer("gus")));

            Result result = root.run("revoke", "--serial", serial, "--reason", "test", "--json");

            ok(result);
            JsonNode answer = JSON.readTree(result.out());
            assertEquals("serial", answer.get("kind").asText());
            assertEquals(List.of(serial), List.of(answer.get("serials").get(0).asText()));
            assertEquals("root@example.com", answer.get("revoked_by").asText());
            assertTrue(answer.get("krl_version").asLong() > 0);
        }
    }

    @Nested
    class Refused {

        @Test
        void anEngineerIsNoAdmin() throws Exception {
            Person hal = engineer("hal");
            String serial = serial(certified(hal));

            Result result = hal.run("revoke", "--serial", serial, "--reason", "mine");

            assertEquals(11, result.exit());
            assertEquals("writ: the CA refused: " + hal.email() + " is not a writ admin (HTTP 403)\n", result.err());
            assertEquals("", result.out());
        }

        @Test
        void aSerialTheCaNeverIssuedIsItsRefusal() {
            Result result = root.run("revoke", "--serial", "12345", "--reason", "typo");

            assertEquals(11, result.exit());
            assertEquals("writ: the CA refused: no certificate with serial 12345 was issued by this CA (HTTP 404)\n",
                    result.err());
        }

        @Test
        void aMissingKeyFileIsALocalFault() {
            Result result = root.run("revoke", "--key", dir.resolve("nope.pub").toString(), "--reason", "x");

            assertEquals(15, result.exit());
            assertTrue(result.err().startsWith("writ: cannot read the key file " + dir.resolve("nope.pub")), result.err());
        }

        @Test
        void exactlyOneThingToRevokeAndAReasonAreRequired() {
            Result none = root.run("revoke", "--reason", "x");
            Result two = root.run("revoke", "--serial", "1", "--identity", "a@example.com", "--reason", "x");
            Result noReason = root.run("revoke", "--serial", "1");
            Result badSerial = root.run("revoke", "--serial", "0x1f", "--reason", "x");

            assertEquals(2, none.exit());
            assertTrue(none.err().startsWith("Error: Missing required argument (specify one of these): (--serial=N |"
                    + " --key-id=ID | --key=FILE | --identity=EMAIL | --grant=ID)"), none.err());
            assertEquals(2, two.exit());
            assertTrue(two.err().startsWith("Error: --serial=N, --identity=EMAIL are mutually exclusive"), two.err());
            assertEquals(2, noReason.exit());
            assertTrue(noReason.err().startsWith("Missing required option: '--reason=TEXT'"), noReason.err());
            assertEquals(2, badSerial.exit());
            assertTrue(badSerial.err().startsWith("--serial: '0x1f' is not a certificate serial: an unsigned decimal"
                    + " number, as ssh-keygen -L prints it\n"), badSerial.err());
        }
    }
}
