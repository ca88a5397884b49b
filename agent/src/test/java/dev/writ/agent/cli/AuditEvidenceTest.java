package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ audit export} and {@code writ audit verify --bundle} against a real CA over HTTP
 * that signs a checkpoint every 5 events or every second: an untouched bundle verifies offline,
 * with nothing but the file (no CA, no login); a bundle file edited afterwards, a cut one and a
 * missing one each end with one line and their exit code. The insider who rewrites the database
 * itself is {@link InsiderRewriteTest}.
 */
class AuditEvidenceTest {

    static final String CHECKPOINTS = "audit:\n  checkpoint_every_events: 5\n  checkpoint_every: 1s\n";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static Person sam;
    static Path bundle;
    static String keyId;
    static TestEnv offline;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ACCESS, Clock.systemUTC(), CHECKPOINTS);
        Person alice = Person.loggedIn(shared.resolve("alice"), idp, ca, "alice@example.com", "engineering");
        sam = Person.loggedIn(shared.resolve("sam"), idp, ca, "sam@example.com", "security");
        AccessCommandsTest.ok(alice.run("request", "drop", AccessCommandsTest.requested(alice, "INC-4711")));
        AccessCommandsTest.requested(alice, "INC-4712");
        bundle = shared.resolve("evidence.ndjson");
        Result export = sam.run("audit", "export", "--since", "-1h", "-o", bundle.toString());
        AccessCommandsTest.ok(export);
        keyId = JSON.readTree(ca.get("/v1/audit/key").body()).get("key_id").asText();
        offline = TestEnv.in(shared.resolve("auditor")); // never configured, never logged in: it has only the file
        assertTrue(export.out().startsWith("audit key " + keyId + " (compare it"), export.out());
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    static long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Nested
    class Exporting {
        @Test
        void theBundleHoldsEveryEventOfTheRangeUpToACheckpointThatCoversThem() throws Exception {
            long lastInBundle = JSON.readTree(Files.readAllLines(bundle).get(0)).get("bundle").get("last_seq").asLong();

            assertEquals(1, count("SELECT COUNT(*) FROM audit_checkpoints WHERE seq = " + lastInBundle));
            assertEquals(1, count("SELECT COUNT(*) FROM audit_events WHERE type = 'audit.exported' AND actor = 'sam@example.com'"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(bundle)));
        }

        @Test
        void anExistingFileIsNeverReplaced() throws Exception {
            byte[] before = Files.readAllBytes(bundle);

            Result result = sam.run("audit", "export", "--since", "-1h", "-o", bundle.toString());

            assertEquals(15, result.exit(), result.toString());
            assertEquals("writ: " + bundle + " exists; an evidence bundle never replaces a file\n", result.err());
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(bundle)));
        }

        @Test
        void aRangeWithoutEventsIsTheCasRefusal() {
            Result result = sam.run("audit", "export", "--since", "+1h", "-o", shared.resolve("future.ndjson").toString());

            assertEquals(11, result.exit(), result.toString());
            assertTrue(result.err().startsWith("writ: the CA refused: no audit events between "), result.err());
            assertFalse(Files.exists(shared.resolve("future.ndjson")));
        }
    }

    @Nested
    class VerifyingOffline {
        @Test
        void anUntouchedBundleVerifiesWithNothingButTheFile() throws Exception {
            Result result = offline.run("audit", "verify", "--bundle", bundle.toString(), "--audit-key-id", keyId);

            assertEquals(0, result.exit(), result.toString());
            Matcher m = Pattern.compile("audit key (\\S+) \\(compare it with the fingerprint obtained from the CA's operator\\)\n"
                    + "bundle intact: events 1 to (\\d+) \\((\\d+) events\\), (\\d+) signed checkpoints?, the newest at \\S+\n")
                    .matcher(result.out());
            assertTrue(m.matches(), result.out());
            assertEquals(keyId, m.group(1));
            assertEquals(m.group(2), m.group(3));
            assertTrue(Long.parseLong(m.group(4)) >= 1, result.out());
        }

        @Test
        void anEditedEventInTheFileIsNamed() throws Exception {
            Path edited = shared.resolve("edited.ndjson");
            String text = Files.readString(bundle);
            Matcher m = Pattern.compile("\\{\"event\":\\{\"seq\":(\\d+),[^\n]*\"INC-4712\"").matcher(text);
            assertTrue(m.find());
            Files.writeString(edited, text.replace("\"INC-4712\"", "\"INC-0000\""));

            Result result = offline.run("audit", "verify", "--bundle", edited.toString());

            assertEquals(16, result.exit(), result.toString());
            assertEquals("writ: bundle " + edited + " broken at event " + m.group(1) + ": event " + m.group(1)
                    + " was altered (hash differs)\n", result.err());
        }

        @Test
        void aCheckpointEditedInTheFileIsNamed() throws Exception {
            Path edited = shared.resolve("checkpoint.ndjson");
            String checkpoint = Files.readAllLines(bundle).get(1);
            long seq = JSON.readTree(checkpoint).get("checkpoint").get("seq").asLong();
            Files.writeString(edited, Files.readString(bundle).replace(checkpoint, checkpoint.replaceFirst("\"at\":\"20", "\"at\":\"19")));

            Result result = offline.run("audit", "verify", "--bundle", edited.toString());

            assertEquals(16, result.exit(), result.toString());
            assertEquals("writ: bundle " + edited + " broken at event " + seq + ": the checkpoint at event " + seq
                    + " does not carry a valid signature of the audit key\n", result.err());
        }

        @Test
        void anotherAuditKeyThanTheOneObtainedOutOfBandFails() {
            Result result = offline.run("audit", "verify", "--bundle", bundle.toString(), "--audit-key-id", "SHA256:other");

            assertEquals(16, result.exit(), result.toString());
            assertEquals("writ: " + bundle + " is signed by audit key " + keyId + ", not SHA256:other\n", result.err());
        }

        @Test
        void aMissingCutOrForeignFileIsOneLineAndItsExitCode() throws Exception {
            Path cut = shared.resolve("cut.ndjson");
            String text = Files.readString(bundle);
            Files.writeString(cut, text.substring(0, text.indexOf("{\"end\"")));
            Path foreign = shared.resolve("foreign.ndjson");
            Files.writeString(foreign, "<html>not found</html>\n");

            Result missing = offline.run("audit", "verify", "--bundle", shared.resolve("nothing.ndjson").toString());
            Result wasCut = offline.run("audit", "verify", "--bundle", cut.toString());
            Result notABundle = offline.run("audit", "verify", "--bundle", foreign.toString());

            assertEquals(15, missing.exit(), missing.toString());
            assertEquals("writ: cannot read " + shared.resolve("nothing.ndjson") + ": no such file\n", missing.err());
            assertEquals(19, wasCut.exit(), wasCut.toString());
            assertTrue(wasCut.err().matches("writ: " + Pattern.quote(cut.toString()) + " is not a whole evidence bundle: it ends"
                    + " before its end line after \\d+ events: the file was cut\n"), wasCut.err());
            assertEquals(19, notABundle.exit(), notABundle.toString());
            assertTrue(notABundle.err().startsWith("writ: " + foreign + " is not a whole evidence bundle: line 1 is not a"
                    + " bundle line"), notABundle.err());
            assertEquals(1, notABundle.err().lines().count(), notABundle.err());
        }
    }
}
