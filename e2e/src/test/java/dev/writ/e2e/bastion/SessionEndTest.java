package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import dev.writ.e2e.RunningSsh;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The bastion ends sessions itself: on revocation, at certificate expiry, when idle, and over the per-engineer limit. */
class SessionEndTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
              - name: idler
                match: { groups: [idlers] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                idle_timeout: 3s
            """;
    static final String LOGIN = Stack.LOGIN;

    @TempDir
    static Path dir;
    static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), """
                krl:
                  refresh: 2s
                max_sessions_per_identity: 2
                """, SessionRecorder.NONE);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static List<String> sleeping(Route route, Engineer engineer, int seconds) {
        return route.ssh(engineer, stack.bastion.port(), LOGIN, "web01", "--", "echo ready; sleep " + seconds);
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void closesASessionWithinFiveSecondsOfItsCertificatesRevocationPushedByTheCa(Route route) throws Exception {
        Engineer engineer = stack.engineer("revoked-" + route, List.of("engineering"), "");
        try (RunningSsh session = new RunningSsh(sleeping(route, engineer, 60))) {
            double pushes = krlPushes();
            long revoked = System.nanoTime();
            stack.revokeSerial(Stack.serialOf(engineer));
            long millis = session.awaitEnd(revoked, 10);
            assertTrue(millis < 5_000, "closed " + millis + " ms after revocation");
            assertTrue(krlPushes() > pushes, "the CA's sync announced the new list (not only the 2 s poll)");
            assertNotEquals(0, session.process().exitValue());
            assertTrue(session.output().contains("writ: your certificate was revoked"), session.output());
        }
        awaitAudit("session.ended", "certificate_revoked");
    }

    @Test
    void warnsOfExpiryOnTheTerminalAndClosesTheSessionWhenTheCertificateExpires() throws Exception {
        Engineer engineer = stack.engineer("expiring", List.of("engineering"), ",\"ttl\":\"12s\"");
        long issued = System.nanoTime();
        try (RunningSsh session = new RunningSsh(sleeping(Route.DIRECT, engineer, 60))) {
            long millis = session.awaitEnd(issued, 20);
            assertTrue(millis >= 9_000 && millis < 15_000, "closed " + millis + " ms after issuance of a 12 s certificate");
            assertTrue(session.output().contains("writ: your certificate expires at"), session.output());
            assertTrue(session.output().contains("writ: your certificate expired"), session.output());
        }
        awaitAudit("session.ended", "certificate_expired");
    }

    @Test
    void closesASessionIdleLongerThanThePolicyAllows() throws Exception {
        Engineer engineer = stack.engineer("idle", List.of("idlers"), "");
        long started = System.nanoTime();
        try (RunningSsh session = new RunningSsh(sleeping(Route.DIRECT, engineer, 60))) {
            long millis = session.awaitEnd(started, 15);
            assertTrue(millis >= 3_000 && millis < 7_000, "closed after " + millis + " ms for an idle timeout of 3 s");
            assertTrue(session.output().contains("writ: idle for"), session.output());
        }
        awaitAudit("session.ended", "idle_timeout");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void keepsABusySessionOpenPastTheIdleTimeout(Route route) throws Exception {
        Engineer engineer = stack.engineer("busy-" + route, List.of("idlers"), "");
        Processes.Result result = Processes.run(route.ssh(engineer, stack.bastion.port(), LOGIN, "web01", "--",
                "for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done"), 30);
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("tick 6"), result.output());
    }

    @Test
    void refusesASessionOverThePerEngineerLimit() throws Exception {
        Engineer engineer = stack.engineer("busy", List.of("engineering"), "");
        try (RunningSsh one = new RunningSsh(sleeping(Route.DIRECT, engineer, 30));
             RunningSsh two = new RunningSsh(sleeping(Route.JUMP, engineer, 30))) {
            var third = dev.writ.ca.testing.Processes.run(Engineer.with(engineer.direct(stack.bastion.port(), LOGIN, "web01",
                            "-o", "LogLevel=INFO"),
                    "echo should-not-run"), 30);
            assertNotEquals(0, third.exitCode(), third.output());
            assertTrue(third.output().contains("writ: you already have 2 sessions open"), third.output());
        }
        awaitAudit("login.refused", "session_limit");
    }

    /** {@code writ_bastion_krl_pushes_total} from the bastion's /metrics. */
    static double krlPushes() throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + stack.bastion.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(line -> line.startsWith("writ_bastion_krl_pushes_total "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1))).sum();
    }

    static void awaitAudit(String type, String reason) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String sql = "SELECT COUNT(*) FROM audit_events WHERE type = 'bastion." + type + "' AND details LIKE '%\"reason\":\""
                + reason + "\"%'";
        while (stack.count(sql) == 0) {
            assertTrue(System.nanoTime() < deadline, "no " + type + " audit event with reason " + reason);
            Thread.sleep(100);
        }
    }
}
