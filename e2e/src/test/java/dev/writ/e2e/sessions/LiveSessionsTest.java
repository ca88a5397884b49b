package dev.writ.e2e.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.e2e.AgentSsh;
import dev.writ.e2e.RunningSsh;
import dev.writ.protocol.recording.Asciicast;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ sessions list|kill} against the whole system: alice's real ssh through the bastion
 * to a real sshd is listed for security, an admin ends it with a reason, alice's terminal says
 * who and why, and the audit log has both the admin's order and the bastion's end of the session;
 * the session's recording says who ended it and why, and lasts as long as the session did.
 */
class LiveSessionsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOGIN = Sshd.currentUser();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%s"]
                targets: [ { labels: { env: dev } } ]
                max_ttl: 8h
            admins:
              - match: { groups: [writ-admins] }
            auditors:
              - match: { groups: [security] }
            """.formatted(LOGIN);

    @TempDir
    static Path dir;
    static MockIdp idp;
    static TestCa ca;
    static Sshd dev01;
    static RunningBastion bastion;
    static Person alice;
    static Person sam;
    static Person hal;
    static RunningAgent agent;
    static Path sshConfig;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "dev*")));
        dev01 = Target.start(dir.resolve("dev01"), ca, "dev01");
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: dev01
                    address: 127.0.0.1:%d
                    labels: { env: dev }
                """.formatted(dev01.port()), Clock.systemUTC(), null); // its own recorder, uploading to the CA
        alice = Person.loggedIn(dir.resolve("alice"), idp, ca, "alice@example.com", "engineering");
        sam = Person.loggedIn(dir.resolve("sam"), idp, ca, "sam@example.com", "writ-admins", "security");
        hal = Person.loggedIn(dir.resolve("hal"), idp, ca, "hal@example.com", "security");
        agent = alice.env().startAgent("1h");
        sshConfig = AgentSsh.config(dir, agent.socket(), ca);
    }

    @AfterAll
    static void stop() {
        AgentSsh.closeAll(agent, bastion, dev01, ca, idp);
    }

    static JsonNode json(Result result) throws Exception {
        assertEquals(0, result.exit(), result.toString());
        return JSON.readTree(result.out());
    }

    /** The live sessions sam sees, once one of alice's is among them (the bastion reports within a second or so). */
    static JsonNode awaitListed(String identity) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            for (JsonNode session : json(sam.run("sessions", "list", "--json")).get("sessions")) {
                if (session.get("identity").asText().equals(identity)) {
                    return session;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no live session of " + identity + " listed within 10 s");
            Thread.sleep(200);
        }
    }

    static long audited(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void securityListsAlicesSessionAndAnAdminEndsItWithAReasonSheReads() throws Exception {
        List<String> ssh = List.of("ssh", "-F", sshConfig.toString(), "-p", Integer.toString(bastion.port()),
                "-o", "LogLevel=INFO", LOGIN + "@dev01@127.0.0.1", "echo ready; sleep 60");
        try (RunningSsh session = new RunningSsh(ssh)) {
            JsonNode listed = awaitListed("alice@example.com");
            String id = listed.get("id").asText();
            assertEquals(LOGIN, listed.get("login").asText());
            assertEquals("dev01", listed.get("target").asText());
            assertEquals("127.0.0.1", listed.get("client_address").asText());
            assertEquals(RunningBastion.NAME, listed.get("bastion").asText());

            Result table = hal.run("sessions", "list");
            assertEquals(0, table.exit(), table.toString());
            assertTrue(table.out().startsWith("ID"), table.out());
            assertTrue(table.out().contains(id) && table.out().contains(LOGIN + "@dev01"), table.out());

            Result auditorKills = hal.run("sessions", "kill", id, "--reason", "looks odd");
            assertNotEquals(0, auditorKills.exit());
            assertEquals("writ: the CA refused: hal@example.com is not a writ admin (HTTP 403)\n", auditorKills.err());
            assertTrue(session.process().isAlive(), "an auditor cannot end a session");

            Result aliceLists = alice.run("sessions", "list");
            assertNotEquals(0, aliceLists.exit());
            assertEquals("writ: the CA refused: only auditors may list live sessions (HTTP 403)\n", aliceLists.err());

            Result kill = sam.run("sessions", "kill", id, "--reason", "INC-9 credential leak");
            assertEquals(0, kill.exit(), kill.toString());
            assertEquals("session " + id + " (alice@example.com as " + LOGIN + " on dev01 via " + RunningBastion.NAME + ") ended\n",
                    kill.out());
            session.awaitEnd(10);
            assertNotEquals(0, session.process().exitValue());
            assertTrue(session.output().contains("writ: sam@example.com ended this session: INC-9 credential leak"),
                    session.output());

            Result again = sam.run("sessions", "kill", id, "--reason", "again");
            assertNotEquals(0, again.exit());
            assertEquals("writ: the CA refused: no live session " + id + " (writ sessions list shows them) (HTTP 404)\n",
                    again.err());
            assertEquals("No live sessions.\n", sam.run("sessions", "list").out());

            assertEquals(1, audited("SELECT count(*) FROM audit_events WHERE type = 'session.ended_by_admin'"
                    + " AND actor = 'sam@example.com' AND details LIKE '%INC-9 credential leak%' AND details LIKE '%" + id + "%'"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            String bastionEnded = "SELECT count(*) FROM audit_events WHERE type = 'bastion.session.ended'"
                    + " AND details LIKE '%\"reason\":\"ended_by_admin\"%' AND details LIKE '%" + id + "%'";
            while (audited(bastionEnded) == 0) {
                assertTrue(System.nanoTime() < deadline, "the bastion reported no end of session " + id);
                Thread.sleep(100);
            }
        }
    }

    @Test
    void theRecordingOfASessionAnAdminEndedSaysWhoAndWhyAndLastsAsLongAsTheSession() throws Exception {
        List<String> ssh = List.of("ssh", "-F", sshConfig.toString(), "-p", Integer.toString(bastion.port()),
                LOGIN + "@dev01@127.0.0.1", "echo ready; sleep 60 # quiet until an admin ends it");
        String id;
        double lasted;
        try (RunningSsh session = new RunningSsh(ssh)) {
            long ready = System.nanoTime(); // the command runs: its channel is open
            id = awaitListed("alice@example.com").get("id").asText();
            Thread.sleep(Math.max(0, 2_000 - (System.nanoTime() - ready) / 1_000_000)); // two quiet seconds at least
            lasted = (System.nanoTime() - ready) / 1e9;
            Result kill = sam.run("sessions", "kill", id, "--reason", "INC-12 odd traffic");
            assertEquals(0, kill.exit(), kill.toString());
            session.awaitEnd(10);
        }

        JsonNode recording = awaitRecording(id);
        String recordingId = recording.get("id").asText();
        double duration = recording.get("duration_seconds").asDouble();
        assertTrue(duration >= lasted, "GET /v1/recordings says " + duration + " s; the session lasted " + lasted + " s at least");
        String row = sam.run("recordings", "list", "--user", "alice@example.com").out().lines()
                .filter(line -> line.startsWith(recordingId + " ")).findFirst().orElseThrow();
        double listed = seconds(row.split("\\s+")[2]);
        assertTrue(listed >= lasted, "writ recordings list says " + row + "; the session lasted " + lasted + " s at least");

        Path file = dir.resolve(recordingId + ".cast");
        Result export = sam.run("recordings", "export", recordingId, "-o", file.toString()); // checks the signed digest
        assertEquals(0, export.exit(), export.toString());
        List<Asciicast.Event> events = Asciicast.read(new StringReader(Files.readString(file))).events();
        Asciicast.Event ended = events.get(events.size() - 2);
        assertEquals("{\"event\":\"ended\",\"reason\":\"ended_by_admin\",\"admin\":\"sam@example.com\","
                + "\"admin_reason\":\"INC-12 odd traffic\"}", ended.data());
        assertTrue(ended.time() >= lasted, "ended at " + ended.time() + " s; the session lasted " + lasted + " s at least");
        assertEquals("closed", JSON.readTree(events.get(events.size() - 1).data()).get("event").asText(), events.toString());
        Result verify = sam.run("recordings", "verify", recordingId);
        assertEquals(0, verify.exit(), verify.toString());
    }

    /** The recording of session {@code sessionId} as the CA lists it to sam, once the bastion uploaded it. */
    static JsonNode awaitRecording(String sessionId) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            for (JsonNode recording : json(sam.run("recordings", "list", "--user", "alice@example.com", "--json")).get("recordings")) {
                if (recording.get("session_id").asText().equals(sessionId)) {
                    return recording;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no recording of session " + sessionId + " at the CA within 20 s");
            Thread.sleep(200);
        }
    }

    /** {@code m:ss}, {@code m:ss.t} or {@code h:mm:ss} as writ prints durations, in seconds. */
    static double seconds(String printed) {
        double seconds = 0;
        for (String part : printed.split(":")) {
            seconds = seconds * 60 + Double.parseDouble(part);
        }
        return seconds;
    }
}
