package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: every bastion event outlives a CA outage. The real OpenSSH client logs in through the
 * bastion to a real sshd while the CA (SQLite, over HTTP) is stopped and started again on its port,
 * and while the bastion itself is stopped with events unsent and started again. Afterwards every
 * event the bastion made is in {@code GET /v1/audit} exactly once, in the order of its seq.
 */
class AuditOutageTest {

    static final String LOGIN = Sshd.currentUser();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
            auditors:
              - match: { groups: [security] }
            """.formatted(LOGIN);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    TestIdp idp;
    TestCa ca;
    Sshd web01;
    RunningBastion bastion;
    String bastionConfig;

    @AfterEach
    void stop() {
        if (bastion != null) {
            bastion.close();
        }
        if (web01 != null) {
            web01.close();
        }
        if (ca != null) {
            ca.close();
        }
        if (idp != null) {
            idp.close();
        }
    }

    @Test
    void everyBastionEventOfAnOutageIsLoggedOnceAndInOrderWhenTheCaIsBack() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*")));
        int caPort = ca.port();
        web01 = Target.start(dir.resolve("web01"), ca, "web01");
        bastionConfig = """
                targets:
                  - name: web01
                    address: 127.0.0.1:%d
                audit:
                  max_retry_backoff: 1s
                """.formatted(web01.port());
        bastion = startBastion();
        Engineer alice = Engineer.login(dir.resolve("alice"), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
        String auditor = idp.idToken("hal@example.com", List.of("security"));

        // the CA is up: a session and a refused login, sent at once
        assertEquals(0, session(alice).exitCode());
        refusedLogin(alice, "nobody", "web01");
        awaitLogged(3, auditor);

        // the CA is down: three sessions (the bastion cannot get their session certificates, so
        // they end at once) and two refused logins, all held in the bastion's spool
        ca.close();
        ca = null;
        for (int i = 0; i < 3; i++) {
            assertNotEquals(0, session(alice).exitCode(), "no session certificate without the CA");
        }
        refusedLogin(alice, "nobody", "web01");
        refusedLogin(alice, LOGIN, "nowhere");
        awaitPending(8);

        // the CA comes back on its port: the bastion's retries deliver the backlog
        ca = TestCa.restart(dir.resolve("ca"), caPort, Clock.systemUTC());
        awaitPending(0);

        // down again, and the bastion stops with an event unsent; both start again
        ca.close();
        ca = null;
        refusedLogin(alice, "nobody", "web01");
        awaitPending(1);
        bastion.close();
        bastion = null;
        ca = TestCa.restart(dir.resolve("ca"), caPort, Clock.systemUTC());
        bastion = startBastion();
        awaitPending(0);
        assertEquals(0, session(alice).exitCode(), "the restarted bastion's seq goes on after the spool's");
        awaitLogged(14, auditor);
        awaitPending(0);

        List<JsonNode> events = bastionEvents(auditor);
        List<Long> seqs = events.stream().map(e -> e.at("/details/bastion_seq").asLong()).toList();
        assertEquals(LongStream.rangeClosed(1, 14).boxed().toList(), seqs,
                "every event once, in the bastion's order: " + summary(events));
        Map<String, Integer> byType = new TreeMap<>();
        // a session that ran ends as closed or target_closed, whichever side the bastion hears close first
        events.forEach(e -> byType.merge(e.get("type").asText() + " " + e.at("/details/reason").asText()
                .replace("target_closed", "closed"), 1, Integer::sum));
        assertEquals(Map.of("bastion.login.refused login_not_a_principal", 3, "bastion.login.refused unknown_target", 1,
                "bastion.session.started ", 5, "bastion.session.ended closed", 2,
                "bastion.session.ended target_unreachable", 3), byType, summary(events));
        Set<String> streams = new HashSet<>();
        for (JsonNode event : events) {
            String[] id = event.at("/details/event_id").asText().split(":");
            assertEquals(List.of(RunningBastion.NAME, event.at("/details/bastion_seq").asText()), List.of(id[0], id[2]));
            streams.add(id[1]);
            assertTrue(!event.at("/details/occurred_at").asText().isEmpty(), event.toString());
        }
        assertEquals(1, streams.size(), "one spool, one stream: " + streams);
        assertTrue(ca.get("/v1/audit/verify", auditor).body().contains("\"ok\":true"), "the hash chain holds");
    }

    RunningBastion startBastion() throws Exception {
        return RunningBastion.start(dir.resolve("bastion"), ca.url(), bastionConfig, Clock.systemUTC(), SessionRecorder.NONE);
    }

    Processes.Result session(Engineer engineer) throws Exception {
        return Engineer.run(Engineer.with(engineer.direct(bastion.port(), LOGIN, "web01"), "true"), 20);
    }

    void refusedLogin(Engineer engineer, String login, String target) throws Exception {
        Processes.Result ssh = Engineer.run(Engineer.with(engineer.direct(bastion.port(), login, target), "true"), 20);
        assertEquals(255, ssh.exitCode(), ssh.output());
    }

    /** Waits until the bastion's spool holds exactly {@code count} events the CA has not confirmed. */
    void awaitPending(int count) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        double pending;
        while ((pending = metric("writ_bastion_audit_events_pending")) != count) {
            assertTrue(System.nanoTime() < deadline, "the spool holds " + pending + " events, not " + count);
            Thread.sleep(100);
        }
        assertEquals(0, metric("writ_bastion_audit_events_dropped_total"), "nothing dropped");
    }

    /** Waits until the CA's log holds {@code count} events of this bastion (an event of a session's end comes just after it). */
    void awaitLogged(int count, String auditor) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<JsonNode> events;
        while ((events = bastionEvents(auditor)).size() < count) {
            assertTrue(System.nanoTime() < deadline, "the CA has " + events.size() + " events, not " + count + ": "
                    + summary(events));
            Thread.sleep(100);
        }
    }

    double metric(String name) throws Exception {
        String scrape = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bastion.metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(scrape);
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }

    /** This bastion's events in the CA's audit log, in the log's order. */
    List<JsonNode> bastionEvents(String auditor) throws Exception {
        HttpResponse<String> response = ca.get("/v1/audit?type=bastion.*&limit=10000", auditor);
        assertEquals(200, response.statusCode(), response.body());
        List<JsonNode> events = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (!line.isBlank()) {
                JsonNode event = JSON.readTree(line);
                if (RunningBastion.NAME.equals(event.at("/details/bastion").asText())) {
                    events.add(event);
                }
            }
        }
        return events;
    }

    static String summary(List<JsonNode> events) {
        return events.stream().map(e -> e.at("/details/bastion_seq").asText() + " " + e.get("type").asText() + " "
                + e.at("/details/reason").asText()).toList().toString();
    }
}
