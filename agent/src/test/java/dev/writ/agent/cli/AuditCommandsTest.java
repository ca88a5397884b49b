package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditRecord;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code writ audit} and {@code writ audit verify} in-process, against a real CA over HTTP whose
 * log holds the story of two access requests: alice (engineering) asks for prod-admin, bob
 * (sre-leads) approves, alice ends the grant; she asks again and withdraws. sam (security) is the
 * auditor. Tampering tests change the CA's
 * SQLite file behind its back, as an attacker with the file would, and put it back afterwards.
 */
class AuditCommandsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static Person alice;
    static Person sam;
    static String requestId;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ACCESS);
        alice = Person.loggedIn(shared.resolve("alice"), idp, ca, "alice@example.com", "engineering");
        Person bob = Person.loggedIn(shared.resolve("bob"), idp, ca, "bob@example.com", "sre-leads");
        sam = Person.loggedIn(shared.resolve("sam"), idp, ca, "sam@example.com", "security");
        requestId = AccessCommandsTest.requested(alice, "INC-4711");
        AccessCommandsTest.ok(bob.run("review", requestId, "--approve", "--comment", "go ahead"));
        AccessCommandsTest.ok(alice.run("request", "drop", requestId));
        AccessCommandsTest.ok(alice.run("request", "drop", AccessCommandsTest.requested(alice, "INC-4712")));
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

    /** The rows of a table, header first, each split on its column gaps. */
    static List<String[]> rows(Result result) {
        List<String[]> rows = new ArrayList<>();
        result.out().lines().forEach(line -> rows.add(line.split(" {2,}")));
        return rows;
    }

    @Nested
    class Listing {

        @Test
        void anAuditorSeesTheEventsOfTheRequestOldestFirst() {
            Result result = sam.run("audit", "--type", "access.");

            AccessCommandsTest.ok(result);
            List<String[]> rows = rows(result);
            assertEquals(List.of("SEQ", "TIME", "TYPE", "ACTOR", "OUTCOME", "DETAILS"), List.of(rows.get(0)));
            List<String> story = rows.subList(1, rows.size()).stream().map(row -> row[2] + " " + row[3] + " " + row[4]).toList();
            assertEquals(List.of("access.requested alice@example.com ok", "access.reviewed bob@example.com ok",
                    "access.approved bob@example.com ok", "access.ended alice@example.com ok",
                    "access.requested alice@example.com ok", "access.withdrawn alice@example.com ok"), story, result.out());
            assertTrue(rows.get(1)[1].matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), rows.get(1)[1]);
            assertTrue(rows.get(1)[5].contains(" request_id=" + requestId + " "), result.out());
            assertTrue(rows.get(2)[5].startsWith("approvals=1 approvals_required=1 comment=\"go ahead\" decision=approve "),
                    result.out());
        }

        @Test
        void filtersByActorTimeAndNumber() {
            Result bobs = sam.run("audit", "--actor", "bob@example.com");
            Result lastHour = sam.run("audit", "--type", "access.*", "--since", "-1h", "--until", "now");
            Result beforeThat = sam.run("audit", "--until", "-1h");
            Result firstTwo = sam.run("audit", "--type", "access.", "--limit", "2");

            AccessCommandsTest.ok(bobs);
            assertEquals(List.of("access.reviewed", "access.approved"),
                    rows(bobs).stream().skip(1).map(row -> row[2]).toList(), bobs.out());
            assertEquals(7, lastHour.out().lines().count(), lastHour.out());
            assertEquals("No audit events.\n", beforeThat.out());
            assertEquals(List.of("access.requested", "access.reviewed"),
                    rows(firstTwo).stream().skip(1).map(row -> row[2]).toList(), firstTwo.out());
        }

        @Test
        void jsonIsOneStoredEventPerLineThatTheChainChecks() throws Exception {
            Result result = sam.run("audit", "--json");

            AccessCommandsTest.ok(result);
            List<String> lines = result.out().lines().toList();
            assertEquals(count("SELECT COUNT(*) FROM audit_events"), lines.size(), result.out());
            List<AuditRecord> events = new ArrayList<>();
            for (String line : lines) {
                JsonNode event = JSON.readTree(line);
                assertEquals(List.of("seq", "at", "type", "actor", "outcome", "client_address", "details", "prev_hash", "hash"),
                        iterable(event.fieldNames()), line);
                assertTrue(event.get("details").isObject(), line);
                events.add(JSON.readValue(line, AuditRecord.class));
            }
            assertTrue(AuditChain.verifyFrom(events, 1, AuditChain.GENESIS).ok());
        }

        @Test
        void everyPageIsFetchedUpToTheLimit() throws Exception {
            long events = count("SELECT COUNT(*) FROM audit_events");
            StringWriter out = new StringWriter();
            Client client = new Client(sam.env().env(out, new StringWriter()));

            int firstFive = new CommandLine(new AuditCommand(client, 2)).execute("--json", "--limit", "5");
            List<Long> seqs = new ArrayList<>();
            for (String line : out.toString().lines().toList()) {
                seqs.add(JSON.readTree(line).get("seq").asLong());
            }
            out.getBuffer().setLength(0);
            int all = new CommandLine(new AuditCommand(client, 2)).execute("--json");

            assertEquals(0, firstFive);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs);
            assertEquals(0, all);
            assertEquals(events, out.toString().lines().count());
        }

        @Test
        void someoneWhoIsNoAuditorIsRefused() {
            Result list = alice.run("audit");
            Result verify = alice.run("audit", "verify");

            assertEquals(11, list.exit());
            assertEquals("writ: the CA refused: only auditors may read the audit log (HTTP 403)\n", list.err());
            assertEquals(11, verify.exit());
            assertEquals("writ: the CA refused: only auditors may read the audit log (HTTP 403)\n", verify.err());
        }

        @Test
        void anUnreadableTimeIsAUsageError() {
            Result result = sam.run("audit", "--since", "yesterday");

            assertEquals(2, result.exit());
            assertTrue(result.err().startsWith("--since: 'yesterday' is not a time such as 2026-11-18T09:00:00Z"), result.err());
        }

        static List<String> iterable(java.util.Iterator<String> names) {
            List<String> list = new ArrayList<>();
            names.forEachRemaining(list::add);
            return list;
        }
    }

    @Nested
    class Verifying {

        @Test
        void anIntactLogPassesHereAndAtTheCa() throws Exception {
            Result result = sam.run("audit", "verify");

            AccessCommandsTest.ok(result);
            assertTrue(result.out().matches(intact(count("SELECT COUNT(*) FROM audit_events"))), result.out());
        }

        @Test
        void anAlteredEventIsNamedAndTheExitCodeIs16() throws Exception {
            long seq = count("SELECT seq FROM audit_events WHERE type = 'access.requested'");
            String at = rows(sam.run("audit", "--type", "access.requested")).get(1)[1];

            Result result = withActorChanged(seq, () -> sam.run("audit", "verify"));

            assertEquals(16, result.exit(), result.toString());
            assertEquals("", result.out());
            assertTrue(result.err().matches("writ: audit log broken at event " + seq + " \\(" + at.replace("Z", "")
                    + "(\\.\\d+)?Z access.requested by mallory@example.com\\): event " + seq + " was altered \\(hash"
                    + " differs\\); the CA's own check agrees\n"), result.err());
            AccessCommandsTest.ok(sam.run("audit", "verify"));
        }

        @Test
        void theChainIsFollowedFromPageToPage() throws Exception {
            long events = count("SELECT COUNT(*) FROM audit_events");
            long onThirdPage = 5;

            Result intact = verifyInPagesOf(2);
            WritException broken = assertThrows(WritException.class,
                    () -> withActorChanged(onThirdPage, () -> verifyInPagesOf(2)));

            assertTrue(intact.out().matches(intact(events)), intact.out());
            assertEquals(Exit.AUDIT_BROKEN, broken.exit());
            assertTrue(broken.getMessage().startsWith("audit log broken at event 5 ("), broken.getMessage());
            assertTrue(broken.getMessage().endsWith(" by mallory@example.com): event 5 was altered (hash differs);"
                    + " the CA's own check agrees"), broken.getMessage());
        }

        /** What {@code writ audit verify} prints for an intact log of {@code events} events, as a pattern. */
        static String intact(long events) {
            return "audit log intact: " + events + " events \\(hash chain checked here and by the CA; \\d+ checkpoints?"
                    + " signed by audit key SHA256:[A-Za-z0-9+/]{43}(, the newest at event \\d+)?\\)\n";
        }

        /** {@code writ audit verify} as sam, fetching {@code pageSize} events at a time. */
        Result verifyInPagesOf(int pageSize) throws Exception {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = new AuditVerifyCommand(new Client(sam.env().env(out, err)), pageSize).call();
            return new Result(exit, out.toString(), err.toString());
        }

        /** Runs {@code check} while event {@code seq} names mallory as its actor, as if she had rewritten it. */
        <T> T withActorChanged(long seq, Callable<T> check) throws Exception {
            String actor;
            try (Connection c = ca.sql(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT actor FROM audit_events WHERE seq = " + seq)) {
                rs.next();
                actor = rs.getString(1);
                s.executeUpdate("DROP TRIGGER audit_events_append_only_update");
                s.executeUpdate("UPDATE audit_events SET actor = 'mallory@example.com' WHERE seq = " + seq);
            }
            try {
                return check.call();
            } finally {
                try (Connection c = ca.sql(); PreparedStatement restore = c.prepareStatement(
                        "UPDATE audit_events SET actor = ? WHERE seq = ?"); Statement s = c.createStatement()) {
                    restore.setString(1, actor);
                    restore.setLong(2, seq);
                    restore.executeUpdate();
                    s.executeUpdate("CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events"
                            + " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END");
                }
            }
        }

        @Test
        void eventsCutFromTheEndAreFoundByTheCasOwnCheck() throws Exception {
            long last = count("SELECT MAX(seq) FROM audit_events");
            try (Connection c = ca.sql(); Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TABLE cut AS SELECT * FROM audit_events WHERE seq = " + last);
                s.executeUpdate("DROP TRIGGER audit_events_append_only_delete");
                s.executeUpdate("DELETE FROM audit_events WHERE seq = " + last);
            }
            try {
                Result result = sam.run("audit", "verify");

                assertEquals(16, result.exit(), result.toString());
                assertEquals("writ: audit log broken at event " + last + " by the CA's own check: the log ends at event "
                        + (last - 1) + " but its head records event " + last + ": events were removed from the end (the "
                        + (last - 1) + " events it served follow their chain)\n", result.err());
            } finally {
                try (Connection c = ca.sql(); Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO audit_events SELECT * FROM cut");
                    s.executeUpdate("DROP TABLE cut");
                    s.executeUpdate("CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events"
                            + " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END");
                }
            }
            AccessCommandsTest.ok(sam.run("audit", "verify"));
        }
    }
}
