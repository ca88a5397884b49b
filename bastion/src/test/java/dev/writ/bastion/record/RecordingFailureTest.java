package dev.writ.bastion.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RecordingReceiver;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When recordings cannot be written (the tests make the spool a regular file: root ignores
 * permissions): {@code strict} sessions are refused, or ended, with a clear message and an audit
 * event; {@code best_effort} sessions go on and the loss is reported.
 */
class RecordingFailureTest {

    static final String LOGIN = Stack.LOGIN;
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
                recording: best_effort
              - name: prod
                match: { groups: [prod] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
                recording: strict
            """;

    @TempDir
    static Path dir;
    static RecordingReceiver receiver;
    static Stack stack;
    /** A second bastion, same name and key, whose spool is a regular file. */
    static RunningBastion unwritable;
    static Engineer alice;
    static Engineer carol;

    @BeforeAll
    static void start() throws Exception {
        receiver = RecordingReceiver.start(RunningBastion.generateKey(dir.resolve("bastion")));
        String targets = "targets:\n  - name: web01\n    address: 127.0.0.1:%d\n    labels: { env: dev }\n";
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), """
                recordings:
                  spool: ./spool
                  upload_url: %s
                """.formatted(receiver.url()), null);
        Path other = Files.createDirectories(dir.resolve("unwritable-bastion"));
        for (String file : List.of("bastion_key", "bastion_key.pub")) {
            Files.copy(dir.resolve("bastion").resolve(file), other.resolve(file));
        }
        Files.setPosixFilePermissions(other.resolve("bastion_key"), PosixFilePermissions.fromString("rw-------"));
        Files.writeString(other.resolve("spool"), "a regular file where the spool should be\n");
        unwritable = RunningBastion.start(other, stack.ca.url(), targets.formatted(stack.target(0).port()) + """
                recordings:
                  spool: ./spool
                  upload_url: %s
                """.formatted(receiver.url()), java.time.Clock.systemUTC(), null);
        alice = stack.engineer("alice", List.of("engineering"), "");
        carol = stack.engineer("carol", List.of("prod"), "");
    }

    @AfterAll
    static void stop() {
        if (unwritable != null) {
            unwritable.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Nested
    class SpoolUnwritableFromTheStart {

        @Test
        void aStrictSessionIsRefusedWithAClearMessageAndAnAuditEvent() throws Exception {
            long before = audited("login.refused", "recording_unavailable");

            Processes.Result result = Processes.run(Engineer.with(carol.direct(unwritable.port(), LOGIN, "web01",
                    "-o", "LogLevel=INFO"), "echo should-not-run"), 30);

            assertNotEquals(0, result.exitCode());
            assertTrue(result.output().contains("writ: your roles require this session to be recorded, and the bastion cannot "
                    + "record right now; try again later"), result.output());
            assertFalse(result.output().contains("should-not-run"), result.output());
            awaitMore(() -> audited("login.refused", "recording_unavailable"), before);
            assertTrue(metrics(unwritable).contains("writ_bastion_recording_spool_writable 0.0"));
        }

        @Test
        void aBestEffortSessionGoesOnAndTheLossIsReported() throws Exception {
            Count reported = () -> stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.session.ended'"
                    + " AND actor = 'alice@example.com' AND details LIKE '%\"recording_bytes_lost\":\"%'"
                    + " AND details LIKE '%\"recording_problem\":\"Not a directory%'");
            long before = reported.get();

            Processes.Result result = Processes.run(Engineer.with(alice.direct(unwritable.port(), LOGIN, "web01", "-tt"),
                    "printf 'best-effort-output\\n'; exit 0"), 30);

            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("best-effort-output"), result.output());
            awaitMore(reported, before);
            String metrics = metrics(unwritable);
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("writ_bastion_recording_bytes_lost_total ")
                    && !l.endsWith(" 0.0")), metrics);
        }
    }

    @Nested
    class SpoolReplacedMidSession {

        @Test
        void aStrictSessionIsEndedAndNewOnesRefusedUntilTheSpoolIsBack() throws Exception {
            Path spool = dir.resolve("bastion/spool");
            Path moved = dir.resolve("bastion/spool.moved");
            Process ssh = new ProcessBuilder(Engineer.with(carol.direct(stack.bastion.port(), LOGIN, "web01", "-tt",
                    "-o", "LogLevel=INFO"), "printf 'strict-started\\n'; sleep 60")).redirectErrorStream(true).start();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            RecordingTest.pump(ssh.getInputStream(), seen);
            try {
                RecordingTest.await(seen, "strict-started");
                long endedBefore = audited("session.ended", "recording_failed");

                Files.move(spool, moved);
                Files.writeString(spool, "a regular file where the spool was\n");

                assertTrue(ssh.waitFor(15, TimeUnit.SECONDS), "the session is ended: " + seen);
                assertTrue(seen.toString(StandardCharsets.UTF_8).contains("writ: this session must be recorded, and the "
                        + "recording cannot be written right now; the session is closed"), seen.toString(StandardCharsets.UTF_8));
                awaitMore(() -> audited("session.ended", "recording_failed"), endedBefore);
            } finally {
                ssh.destroyForcibly();
            }

            Thread.sleep(1_500); // the spool is probed every second
            Processes.Result refused = Processes.run(Engineer.with(carol.direct(stack.bastion.port(), LOGIN, "web01",
                    "-o", "LogLevel=INFO"), "echo should-not-run"), 30);
            assertTrue(refused.output().contains("writ: your roles require this session to be recorded"), refused.output());

            Files.delete(spool);
            Files.move(moved, spool);
            Thread.sleep(1_500);
            Processes.Result again = Processes.run(Engineer.with(carol.direct(stack.bastion.port(), LOGIN, "web01", "-tt"),
                    "printf 'strict-again\\n'; exit 0"), 30);
            assertEquals(0, again.exitCode(), again.output());
            receiver.await(facts -> "carol@example.com".equals(facts.get("identity"))
                    && facts.getOrDefault("command", "").contains("strict-again"), Duration.ofSeconds(20));
        }
    }

    static long audited(String type, String reason) throws Exception {
        return stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion." + type + "'"
                + " AND details LIKE '%\"reason\":\"" + reason + "\"%'");
    }

    interface Count {
        long get() throws Exception;
    }

    static void awaitMore(Count count, long before) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (count.get() <= before) {
            assertTrue(System.nanoTime() < deadline, "no new audit event among " + events());
            Thread.sleep(100);
        }
    }

    static List<String> events() throws Exception {
        List<String> events = new java.util.ArrayList<>();
        try (var c = stack.ca.sql(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT type, actor, details FROM audit_events WHERE type LIKE 'bastion.%'")) {
            while (rs.next()) {
                events.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
            }
        }
        return events;
    }

    static String metrics(RunningBastion bastion) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bastion.metricsPort()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
