package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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

    /** An ssh running {@code echo ready; sleep N} through the bastion, started and past its login. */
    static final class Running implements AutoCloseable {
        final Process process;
        final StringBuilder output = new StringBuilder();

        Running(List<String> command) throws Exception {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            // the bastion's expiry warning for a short certificate may come before the command's output
            for (String line; !"ready".equals(line = reader.readLine()); ) {
                assertTrue(line != null, "the session did not start: " + output);
                output.append(line).append('\n');
            }
            Thread reading = new Thread(() -> {
                try {
                    for (String l; (l = reader.readLine()) != null; ) {
                        synchronized (output) {
                            output.append(l).append('\n');
                        }
                    }
                } catch (Exception ignored) {
                    // the process ended
                }
            });
            reading.setDaemon(true);
            reading.start();
        }

        /** Milliseconds until the process ended, failing after {@code seconds}. */
        long awaitEnd(long startNanos, int seconds) throws Exception {
            assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "ssh still running after " + seconds + " s: " + output());
            Thread.sleep(200); // the last lines
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        }

        String output() {
            synchronized (output) {
                return output.toString();
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    static List<String> sleeping(Route route, Engineer engineer, int seconds) {
        return route.ssh(engineer, stack.bastion.port(), LOGIN, "web01", "--", "echo ready; sleep " + seconds);
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void closesASessionWithinFiveSecondsOfItsCertificatesRevocation(Route route) throws Exception {
        Engineer engineer = stack.engineer("revoked-" + route, List.of("engineering"), "");
        try (Running session = new Running(sleeping(route, engineer, 60))) {
            long revoked = System.nanoTime();
            stack.revokeSerial(Stack.serialOf(engineer));
            long millis = session.awaitEnd(revoked, 10);
            assertTrue(millis < 5_000, "closed " + millis + " ms after revocation");
            assertNotEquals(0, session.process.exitValue());
            assertTrue(session.output().contains("writ: your certificate was revoked"), session.output());
        }
        awaitAudit("session.ended", "certificate_revoked");
    }

    @Test
    void warnsOfExpiryOnTheTerminalAndClosesTheSessionWhenTheCertificateExpires() throws Exception {
        Engineer engineer = stack.engineer("expiring", List.of("engineering"), ",\"ttl\":\"12s\"");
        long issued = System.nanoTime();
        try (Running session = new Running(sleeping(Route.DIRECT, engineer, 60))) {
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
        try (Running session = new Running(sleeping(Route.DIRECT, engineer, 60))) {
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
        try (Running one = new Running(sleeping(Route.DIRECT, engineer, 30));
             Running two = new Running(sleeping(Route.JUMP, engineer, 30))) {
            var third = dev.writ.ca.testing.Processes.run(Engineer.with(engineer.direct(stack.bastion.port(), LOGIN, "web01",
                            "-o", "LogLevel=INFO"),
                    "echo should-not-run"), 30);
            assertNotEquals(0, third.exitCode(), third.output());
            assertTrue(third.output().contains("writ: you already have 2 sessions open"), third.output());
        }
        awaitAudit("login.refused", "session_limit");
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
