package dev.writ.e2e.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One role decides a session. alice holds {@code engineer} (login {@code nobody}, targets
 * {@code dev*}) standing and {@code prod-admin} (login root, the test's own login, targets
 * {@code prod*}) through an approved access grant, so her one certificate lists both logins. Through
 * the bastion, with the real {@code ssh} in both routing forms, to real sshd targets dev01 and
 * prod01: root on dev01 and nobody on prod01 are refused, naming why; root on prod01 works until
 * the grant ends; nobody on dev01 works (its shell, nologin, answers). The targets only ever see
 * session certificates carrying the one login.
 *
 * <p>{@code nobody} is the engineer's login because it exists on every Debian machine: sshd
 * accepts it, and its shell says "This account is currently not available." (sshd runs as root in
 * these tests, as it does on a target).
 */
class OneRolePerSessionTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ROOT = Sshd.currentUser();
    static final String ENGINEER_LOGIN = "nobody";
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: [%s]
                targets: [ { hosts: ["dev*"] } ]
                max_ttl: 1h
                extensions: [permit-pty]
              - name: prod-admin
                principals: ["%s"]
                targets: [ { hosts: ["prod*"] } ]
                max_ttl: 1h
                extensions: [permit-pty]
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [sre-leads] } }]
                  max_duration: 1h
            """.formatted(ENGINEER_LOGIN, ROOT);

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd dev01;
    static Sshd prod01;
    static RunningBastion bastion;
    static String alice;
    static String bob;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "dev*", "prod*")));
        dev01 = Target.start(dir.resolve("dev01"), ca, "dev01");
        prod01 = Target.start(dir.resolve("prod01"), ca, "prod01");
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: dev01
                    address: 127.0.0.1:%d
                  - name: prod01
                    address: 127.0.0.1:%d
                krl:
                  refresh: 1s
                """.formatted(dev01.port(), prod01.port()), Clock.systemUTC(), SessionRecorder.NONE);
        alice = idp.idToken("alice@example.com", List.of("engineering"));
        bob = idp.idToken("bob@example.com", List.of("sre-leads"));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable running : new AutoCloseable[] {bastion, dev01, prod01, ca, idp}) {
            try {
                if (running != null) {
                    running.close();
                }
            } catch (Exception ignored) {
                // stopping: the next one still stops
            }
        }
    }

    /** alice asks for prod-admin, bob approves: the grant's id. */
    static String approvedGrant() throws Exception {
        var requested = ca.post("/v1/access-requests", alice,
                JSON.writeValueAsString(Map.of("role", "prod-admin", "reason", "incident 4711")));
        assertEquals(201, requested.statusCode(), requested.body());
        String id = JSON.readTree(requested.body()).get("id").asText();
        var approved = ca.post("/v1/access-requests/" + id + "/reviews", bob,
                JSON.writeValueAsString(Map.of("decision", "approve")));
        assertEquals(201, approved.statusCode(), approved.body());
        assertEquals("approved", JSON.readTree(approved.body()).get("state").asText(), approved.body());
        return id;
    }

    /** {@code ssh ... login@target echo ran-as-LOGIN}, through the bastion by both routes. */
    static List<Processes.Result> sshBothWays(Engineer engineer, String login, String target) throws Exception {
        List<Processes.Result> results = new ArrayList<>();
        for (List<String> route : List.of(engineer.direct(bastion.port(), login, target, "-o", "LogLevel=INFO"),
                engineer.jump(bastion.port(), login, target, "-o", "LogLevel=INFO"))) {
            List<String> command = new ArrayList<>(route);
            command.addAll(List.of("echo", "ran-as-" + login));
            results.add(Engineer.run(command, 30));
        }
        return results;
    }

    static void refusedBothWays(Engineer engineer, String login, String target, String why) throws Exception {
        long before = refusalsNaming(why);
        for (Processes.Result result : sshBothWays(engineer, login, target)) {
            assertNotEquals(0, result.exitCode(), result.output());
            assertFalse(result.output().contains("ran-as-"), result.output());
            assertTrue(result.output().contains("writ: " + why), result.output());
        }
        awaitAtLeast(before + 2, () -> refusalsNaming(why));
    }

    static long refusalsNaming(String why) throws Exception {
        return count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.login.refused' AND details LIKE '%"
                + why + "%'");
    }

    static long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    interface Count {
        long get() throws Exception;
    }

    /** Bastion audit events travel to the CA asynchronously: wait for them, at most 10 s. */
    static void awaitAtLeast(long expected, Count count) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long seen = count.get();
        while (seen < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            seen = count.get();
        }
        assertTrue(seen >= expected, "expected at least " + expected + " audit events, saw " + seen);
    }

    /** Every session certificate the CA issued: target → the principals and the role of each. */
    static List<JsonNode> sessionCertificates() throws Exception {
        List<JsonNode> issued = new ArrayList<>();
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT details FROM audit_events WHERE type = 'certificate.issued' AND details LIKE '%\"kind\":\"session\"%'")) {
            while (rs.next()) {
                issued.add(JSON.readTree(rs.getString(1)));
            }
        }
        return issued;
    }

    @Test
    void aLoginIsAllowedOnlyWhereTheRoleThatGivesItReaches() throws Exception {
        String grant = approvedGrant();
        Engineer withGrant = Engineer.login(dir.resolve("alice-granted"), ca, alice, "");
        // the certificate lists both logins (and says which role gives which)
        Processes.Result listing = Processes.run(List.of("ssh-keygen", "-L", "-f", withGrant.certificate().toString()));
        assertTrue(listing.output().matches("(?s).*Principals: \\n\\s+" + ENGINEER_LOGIN + "\\n\\s+" + ROOT + "\\n.*")
                || listing.output().matches("(?s).*Principals: \\n\\s+" + ROOT + "\\n\\s+" + ENGINEER_LOGIN + "\\n.*"),
                listing.output());

        refusedBothWays(withGrant, ROOT, "dev01", "no role of alice@example.com allows login " + ROOT + " on dev01");
        refusedBothWays(withGrant, ENGINEER_LOGIN, "prod01",
                "no role of alice@example.com allows login " + ENGINEER_LOGIN + " on prod01");
        for (Processes.Result result : sshBothWays(withGrant, ROOT, "prod01")) {
            assertEquals(0, result.exitCode(), result.output() + prod01.log());
            assertTrue(result.output().contains("ran-as-" + ROOT), result.output());
        }
        for (Processes.Result result : sshBothWays(withGrant, ENGINEER_LOGIN, "dev01")) {
            // logged in: the target's nologin shell answers for the account
            assertTrue(result.output().contains("This account is currently not available."), result.output() + dev01.log());
        }

        // the targets saw only session certificates, each carrying the one login of the role that decided
        assertTrue(dev01.log().contains("Accepted publickey for " + ENGINEER_LOGIN + " from 127.0.0.1"), dev01.log());
        assertFalse(dev01.log().contains("Accepted publickey for " + ROOT + " "), dev01.log());
        assertTrue(prod01.log().contains("Accepted publickey for " + ROOT + " from 127.0.0.1"), prod01.log());
        assertFalse(prod01.log().contains("Accepted publickey for " + ENGINEER_LOGIN + " "), prod01.log());
        for (String log : List.of(dev01.log(), prod01.log())) {
            assertTrue(log.lines().filter(l -> l.contains("Accepted publickey")).allMatch(l -> l.contains("via writ session")), log);
        }
        List<JsonNode> sessions = sessionCertificates();
        assertEquals(4, sessions.size(), sessions.toString());
        for (JsonNode session : sessions) {
            boolean dev = session.get("target").asText().equals("dev01");
            assertEquals(List.of(dev ? ENGINEER_LOGIN : ROOT), List.of(JSON.treeToValue(session.get("principals"), String[].class)),
                    session.toString());
            assertEquals(dev ? "engineer" : "prod-admin", session.get("role").asText(), session.toString());
        }

        // the grant ends: its certificate is revoked, and a new one no longer gives root
        var ended = ca.delete("/v1/access-requests/" + grant, alice);
        assertEquals(200, ended.statusCode(), ended.body());
        long deadline = System.nanoTime() + 15_000_000_000L;
        Processes.Result late;
        do {
            Thread.sleep(500);
            late = Engineer.run(Engineer.with(withGrant.direct(bastion.port(), ROOT, "prod01", "-o", "LogLevel=INFO"),
                    "echo", "still-root"), 30);
        } while (late.exitCode() == 0 && System.nanoTime() < deadline);
        assertNotEquals(0, late.exitCode(), late.output());
        assertTrue(late.output().contains("writ: certificate revoked"), late.output());
        Engineer afterGrant = Engineer.login(dir.resolve("alice-after"), ca, alice, "");
        for (Processes.Result result : sshBothWays(afterGrant, ROOT, "prod01")) {
            assertNotEquals(0, result.exitCode(), result.output());
            assertFalse(result.output().contains("ran-as-"), result.output());
        }
    }
}
