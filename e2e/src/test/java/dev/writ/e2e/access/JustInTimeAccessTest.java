package dev.writ.e2e.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.e2e.AgentSsh;
import dev.writ.e2e.RunningSsh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole story of just-in-time access, with the real OpenSSH client through the bastion to a
 * real sshd labelled {@code env=prod}: alice cannot reach it; she requests {@code prod-admin}
 * with a reason ({@code writ request}); she cannot approve it herself; bob, an SRE lead,
 * approves ({@code writ review}); with no new login, her next ssh gets a certificate with the
 * new principal from {@code writ agent} and reaches the target; when the grant ends — dropped
 * early, or at the end of its (short) duration — her live session is closed within 5 seconds and
 * a new connection is refused. The CA, the bastion, the identity provider and writ run in
 * this JVM; ssh and sshd are real processes.
 */
class JustInTimeAccessTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOGIN = Sshd.currentUser();
    /** As in policies/examples: engineers reach dev as themselves; prod-admin (here the test's login) is requested. */
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                targets: [ { labels: { env: dev } } ]
                ttl: 8h
                max_ttl: 12h
                extensions: [permit-pty]
              - name: prod-admin
                principals: ["%s"]
                targets: [ { labels: { env: prod } } ]
                ttl: 30m
                max_ttl: 1h
                extensions: [permit-pty]
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [sre-leads] } }]
                  approvals: 1
                  max_duration: 2h
                  reason_required: true
            """.formatted(LOGIN);
    static final Pattern NEW_CERTIFICATE = Pattern.compile(
            "writ agent: new certificate for alice@example\\.com: serial (\\d+), principals ([^\\n]*?), valid for");

    @TempDir
    static Path dir;
    static MockIdp idp;
    static TestCa ca;
    static Sshd prod;
    static RunningBastion bastion;
    static Person alice;
    static Person bob;
    static RunningAgent agent;
    static Path sshConfig;
    final List<String> grants = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "prod*")));
        prod = Target.start(dir.resolve("prod01"), ca, "prod01");
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: prod01
                    address: 127.0.0.1:%d
                    labels: { env: prod }
                krl:
                  refresh: 1s
                """.formatted(prod.port()), Clock.systemUTC(), SessionRecorder.NONE);
        alice = Person.loggedIn(dir.resolve("alice"), idp, ca, "alice@example.com", "engineering");
        bob = Person.loggedIn(dir.resolve("bob"), idp, ca, "bob@example.com", "sre-leads");
        // certificates of a minute: every ssh gets a fresh one, so a grant shows up at once
        agent = alice.env().startAgent("1m");
        sshConfig = AgentSsh.config(dir, agent.socket(), ca);
    }

    @AfterAll
    static void stop() {
        AgentSsh.closeAll(agent, bastion, prod, ca, idp);
    }

    /** alice's {@code ssh -p BASTION login@prod01@127.0.0.1 command}, through her writ agent. */
    static List<String> ssh(String login, String command) {
        return new ArrayList<>(List.of("ssh", "-F", sshConfig.toString(), "-p", Integer.toString(bastion.port()),
                "-o", "LogLevel=INFO", login + "@prod01@127.0.0.1", command));
    }

    static void refused(String login, String banner) throws Exception {
        Processes.Result result = Processes.run(ssh(login, "echo should-not-run"), 30);
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains(banner), result.output());
        assertTrue(!result.output().contains("should-not-run"), result.output());
    }

    static JsonNode json(Result result) throws Exception {
        assertEquals(0, result.exit(), result.toString());
        return JSON.readTree(result.out());
    }

    /** The serial and principals of the agent's newest certificate, from its log. */
    static String[] newestCertificate() {
        Matcher m = NEW_CERTIFICATE.matcher(alice.env().agentLog());
        String[] found = null;
        while (m.find()) {
            found = new String[] {m.group(1), m.group(2)};
        }
        assertTrue(found != null, alice.env().agentLog());
        return found;
    }

    static long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void awaitCount(String sql, long expected, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (count(sql) != expected) {
            assertTrue(System.nanoTime() < deadline, "no " + expected + " rows within " + within + ": " + sql);
            Thread.sleep(100);
        }
    }

    /** Each test starts without a grant, even when the one before failed while alice held one. */
    @AfterEach
    void endGrants() throws Exception {
        for (String id : grants) {
            alice.run("request", "drop", id);
        }
        grants.clear();
    }

    /** alice asks for prod-admin, fails to approve it herself, bob approves: the approved request. */
    JsonNode approvedGrant(String duration) throws Exception {
        JsonNode requested = json(alice.run("request", "prod-admin", "--reason", "INC-4711 database down", "--for",
                duration, "--json"));
        assertEquals("pending", requested.get("state").asText());
        String id = requested.get("id").asText();
        grants.add(id);

        Result selfApproval = alice.run("review", id, "--approve");
        assertEquals(11, selfApproval.exit());
        assertEquals("writ: the CA refused: you cannot review your own request (HTTP 403)\n", selfApproval.err());

        JsonNode approved = json(bob.run("review", id, "--approve", "--comment", "go ahead", "--json"));
        assertEquals("approved", approved.get("state").asText());
        return approved;
    }

    /** alice's ssh through the bastion running {@code echo ready; sleep 60}, past its login. */
    static RunningSsh liveSession() throws Exception {
        return new RunningSsh(ssh(LOGIN, "echo ready; sleep 60"));
    }

    /**
     * A writ agent holding a certificate of hours from before the approval: the next ssh after the
     * approval gets a new certificate with the granted login at once, without a new login or a
     * restart of the agent.
     */
    @Test
    void theAgentFollowsAGrantApprovedWhileItHoldsALongCertificate() throws Exception {
        Person carol = Person.loggedIn(dir.resolve("carol"), idp, ca, "carol@example.com", "engineering");
        RunningAgent carolsAgent = carol.env().startAgent(null); // the roles' own lifetime: 8h for engineer
        try {
            Path config = AgentSsh.config(Files.createDirectories(dir.resolve("carol-ssh")), carolsAgent.socket(), ca);
            List<String> ssh = List.of("ssh", "-F", config.toString(), "-p", Integer.toString(bastion.port()),
                    "-o", "LogLevel=INFO", LOGIN + "@prod01@127.0.0.1", "echo granted");
            Processes.Result before = Processes.run(ssh, 30);
            assertNotEquals(0, before.exitCode(), before.output());
            assertTrue(before.output().contains("writ: your certificate does not allow login " + LOGIN), before.output());

            JsonNode requested = json(carol.run("request", "prod-admin", "--reason", "INC-4712 disk full", "--for", "10m",
                    "--json"));
            String id = requested.get("id").asText();
            try {
                assertEquals("approved", json(bob.run("review", id, "--approve", "--json")).get("state").asText());
                Processes.Result after = Processes.run(ssh, 30);
                assertEquals(0, after.exitCode(), after.output() + carol.env().agentLog());
                assertTrue(after.output().contains("granted"), after.output());
                assertTrue(carol.env().agentLog().contains("an access grant for prod-admin is in force"), carol.env().agentLog());
            } finally {
                carol.run("request", "drop", id);
            }
        } finally {
            carolsAgent.close();
        }
    }

    @Test
    void aliceReachesProductionWhileHerGrantLastsAndIsThrownOutWhenSheDropsIt() throws Exception {
        // without a grant: her certificate names neither the login nor a role that reaches env=prod
        refused(LOGIN, "writ: your certificate does not allow login " + LOGIN);
        refused("alice", "writ: no role of alice@example.com allows login alice on prod01");

        String id = approvedGrant("10m").get("id").asText();

        // no new login: the agent's next certificate carries the grant's principal
        try (RunningSsh session = liveSession()) {
            String[] certificate = newestCertificate();
            assertEquals(java.util.Set.of("alice", LOGIN), java.util.Set.of(certificate[1].split(", ")), alice.env().agentLog());

            Result dropped = alice.run("request", "drop", id);
            Instant droppedAt = Instant.now();
            assertEquals(0, dropped.exit(), dropped.toString());
            assertTrue(dropped.out().contains("state          ended (ended early by alice@example.com)"), dropped.out());

            Duration closedAfter = Duration.between(droppedAt, session.awaitEnd(15));
            assertTrue(closedAfter.compareTo(Duration.ofSeconds(5)) < 0, "closed " + closedAfter + " after the drop");
            assertTrue(session.output().contains("writ: your certificate was revoked"), session.output());
            assertEquals(1, count("SELECT COUNT(*) FROM revocations WHERE serial = " + Long.parseUnsignedLong(certificate[0])
                    + " AND revoked_by = 'writ' AND reason = 'grant ended: ended early by alice@example.com'"));
        }

        // a new connection: a new certificate without the grant, refused
        refused(LOGIN, "writ: your certificate does not allow login " + LOGIN);
    }

    @Test
    void aGrantThatRunsOutClosesHerSessionAndLocksHerOutAgain() throws Exception {
        JsonNode grant = approvedGrant("20s");
        Instant grantEnd = Instant.parse(grant.get("grant_end").asText());

        try (RunningSsh session = liveSession()) {
            String[] certificate = newestCertificate();
            assertTrue(certificate[1].contains(LOGIN), certificate[1]);

            Instant closed = session.awaitEnd(40);
            // the certificate ends with the grant (whole seconds); the KRL follows within the sweep and the refresh
            assertTrue(closed.isAfter(grantEnd.minusSeconds(2)), "closed at " + closed + ", the grant ends at " + grantEnd);
            assertTrue(closed.isBefore(grantEnd.plusSeconds(5)), "closed at " + closed + ", the grant ended at " + grantEnd);
            assertTrue(session.output().contains("writ: your certificate expired")
                    || session.output().contains("writ: your certificate was revoked"), session.output());
            awaitCount("SELECT COUNT(*) FROM revocations WHERE serial = " + Long.parseUnsignedLong(certificate[0])
                    + " AND reason = 'grant ended: reached its end'", 1, Duration.ofSeconds(10));
        }

        refused(LOGIN, "writ: your certificate does not allow login " + LOGIN);
        assertEquals("ended", json(alice.run("requests", "--mine", "--json")).get("requests").get(0).get("state").asText());
    }
}
