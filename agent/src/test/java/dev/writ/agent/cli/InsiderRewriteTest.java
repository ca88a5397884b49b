package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An insider with write access to the CA's SQLite file rewrites history: stops the CA, drops the
 * triggers that keep the audit log append-only, edits the reason of an access request, recomputes
 * every later hash and the head so that the chain is self-consistent again, and starts the CA.
 * The CA's own check passes, as it must: nothing in the database tells. The signed checkpoints
 * do: the live {@code writ audit verify} and a bundle exported afterwards both name the first
 * checkpoint after the edit and the range of events it was made in.
 */
class InsiderRewriteTest {

    @TempDir
    Path dir;
    MockIdp idp;
    TestCa ca;

    @AfterEach
    void stop() {
        if (ca != null) {
            ca.close();
        }
        idp.close();
    }

    @Test
    void theLiveVerifyAndALaterBundleBothCatchARecomputedChainThroughTheCheckpoints() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), Policies.ACCESS, Clock.systemUTC(), AuditEvidenceTest.CHECKPOINTS);
        Person alice = Person.loggedIn(dir.resolve("alice"), idp, ca, "alice@example.com", "engineering");
        Person sam = Person.loggedIn(dir.resolve("sam"), idp, ca, "sam@example.com", "security");
        AccessCommandsTest.ok(alice.run("request", "drop", AccessCommandsTest.requested(alice, "INC-4711")));
        AccessCommandsTest.ok(alice.run("request", "drop", AccessCommandsTest.requested(alice, "INC-4712")));
        AccessCommandsTest.requested(alice, "INC-4713");
        awaitCheckpointOfTheHead();
        AccessCommandsTest.ok(sam.run("audit", "verify"));
        long edited = number("SELECT seq FROM audit_events WHERE details LIKE '%INC-4712%' ORDER BY seq LIMIT 1");
        long before = number("SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints WHERE seq < " + edited);
        long caught = number("SELECT MIN(seq) FROM audit_checkpoints WHERE seq >= " + edited);

        int port = ca.port();
        TestCa stopped = ca;
        ca = null;
        stopped.close();
        rewrite(stopped, edited);
        ca = TestCa.restart(dir.resolve("ca"), port, Clock.systemUTC());

        Result live = sam.run("audit", "verify");
        Path after = dir.resolve("after.ndjson");
        Result export = sam.run("audit", "export", "--since", "-1h", "-o", after.toString());
        Result offline = TestEnv.in(dir.resolve("auditor")).run("audit", "verify", "--bundle", after.toString());

        String range = (before + 1 == caught ? "event " : "events " + (before + 1) + " to ") + caught;
        String problem = "event " + caught + " differs from the checkpoint signed at \\S+: the chain was rewritten after"
                + " that checkpoint, in " + range;
        assertEquals(16, live.exit(), live.toString());
        assertTrue(live.err().matches("writ: audit log broken at event " + caught + " \\([^)]*\\): " + problem
                + "; the CA's own check passes, as it does for a chain recomputed after an edit: only the signed"
                + " checkpoint tells\n"), live.err());
        assertEquals(16, export.exit(), export.toString());
        assertTrue(export.err().matches("writ: wrote " + Pattern.quote(after.toString()) + ", but it does not verify: bundle "
                + Pattern.quote(after.toString()) + " broken at event " + caught + ": " + problem + "\n"), export.err());
        assertEquals(16, offline.exit(), offline.toString());
        assertTrue(offline.err().matches("writ: bundle " + Pattern.quote(after.toString()) + " broken at event " + caught
                + ": " + problem + "\n"), offline.err());
        assertTrue(before < edited && edited <= caught);
    }

    /** Waits (at most 30 s) until the checkpoints, one a second, have signed the newest event. */
    void awaitCheckpointOfTheHead() throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (number("SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints") < number("SELECT MAX(seq) FROM audit_events")) {
            assertTrue(Instant.now().isBefore(deadline), "no checkpoint of the head within 30 s");
            Thread.sleep(100);
        }
    }

    /** What the insider does to the stopped CA's database. */
    static void rewrite(TestCa stopped, long seq) throws Exception {
        try (Connection c = stopped.sql(); Statement s = c.createStatement()) {
            s.executeUpdate("DROP TRIGGER audit_events_append_only_update");
            s.executeUpdate("UPDATE audit_events SET details = replace(details, 'INC-4712', 'INC-0000') WHERE seq = " + seq);
            String prev;
            try (ResultSet rs = s.executeQuery("SELECT hash FROM audit_events WHERE seq = " + (seq - 1))) {
                prev = rs.next() ? rs.getString(1) : AuditChain.GENESIS;
            }
            List<AuditRecord> later = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT * FROM audit_events WHERE seq >= " + seq + " ORDER BY seq")) {
                while (rs.next()) {
                    later.add(new AuditRecord(rs.getLong("seq"), Instant.ofEpochMilli(rs.getLong("at")), rs.getString("type"),
                            rs.getString("actor"), rs.getString("outcome"), rs.getString("client_address"),
                            rs.getString("details"), rs.getString("prev_hash"), rs.getString("hash")));
                }
            }
            try (PreparedStatement update = c.prepareStatement("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?")) {
                for (AuditRecord event : later) {
                    String hash = AuditChain.hash(prev, event.seq(), event.at().toEpochMilli(), event.type(), event.actor(),
                            event.outcome(), event.clientAddress(), event.details());
                    update.setString(1, prev);
                    update.setString(2, hash);
                    update.setLong(3, event.seq());
                    update.executeUpdate();
                    prev = hash;
                }
            }
            s.executeUpdate("UPDATE audit_head SET hash = '" + prev + "'");
        }
    }

    long number(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
