package dev.writ.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running CA follows its policy directory: an edit is in force within seconds without a
 * restart, a {@code .yml} file counts like a {@code .yaml} one, a broken file keeps the running
 * policy and is reported with its file:line, and each reload is an audit event.
 */
class PolicyReloadTest {

    static final String OPS = """
            roles:
              - name: operator
                match: { groups: [ops] }
                principals: [ops]
                max_ttl: 1h
            """;

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static String publicKey;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), OPS, java.time.Clock.systemUTC(), TestCa.NO_RATE_LIMITS);
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                dir.resolve("id").toString()));
        assertEquals(0, keygen.exitCode(), keygen.output());
        publicKey = Files.readString(dir.resolve("id.pub")).strip();
    }

    @AfterAll
    static void stop() {
        if (ca != null) {
            ca.close();
            idp.close();
        }
    }

    static int certificateFor(String group) throws Exception {
        String token = idp.idToken(group + "-person@example.com", List.of(group));
        return ca.post("/v1/certs/user", token, "{\"public_key\":\"" + publicKey + "\"}").statusCode();
    }

    static List<String> events(String type) throws Exception {
        List<String> details = new ArrayList<>();
        try (Connection sql = ca.sql(); Statement statement = sql.createStatement();
             ResultSet rows = statement.executeQuery("SELECT details FROM audit_events WHERE type = '" + type + "' ORDER BY seq")) {
            while (rows.next()) {
                details.add(rows.getString(1));
            }
        }
        return details;
    }

    /** Waits (at most 30 s) until {@code condition} holds. */
    static void await(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.call()) {
            assertTrue(System.nanoTime() < deadline, "within 30 s: " + what);
            Thread.sleep(100);
        }
    }

    @Test
    void editsAreInForceWithoutARestartAndABrokenFileKeepsTheRunningPolicy() throws Exception {
        Path policies = dir.resolve("ca/policies");
        assertEquals(201, certificateFor("ops"));
        assertEquals(403, certificateFor("dba"));

        // a new .yml file adds a role
        Files.writeString(policies.resolve("dba.yml"), """
                roles:
                  - name: dba
                    match: { groups: [dba] }
                    principals: [postgres]
                    max_ttl: 1h
                """);
        await("the dba role from dba.yml is in force", () -> certificateFor("dba") == 201);
        await("policy.reloaded audited", () -> events(PolicyReloader.RELOADED).stream()
                .anyMatch(d -> d.contains("dba.yml") && d.contains("policy.yaml")));

        // a broken edit: the running policy stays, the error names file and line
        Files.writeString(policies.resolve("policy.yaml"), OPS.replace("max_ttl: 1h", "max_tll: 1h"));
        await("policy.reload.failed audited", () -> !events(PolicyReloader.RELOAD_FAILED).isEmpty());
        String failure = events(PolicyReloader.RELOAD_FAILED).get(0);
        assertTrue(failure.contains("policy.yaml:5"), failure);
        assertTrue(failure.contains("max_tll"), failure);
        assertEquals(201, certificateFor("ops"));
        assertEquals(201, certificateFor("dba"));

        // the fix is taken, and a removed file takes its roles with it
        Files.delete(policies.resolve("dba.yml"));
        Files.writeString(policies.resolve("policy.yaml"), OPS);
        await("the dba role is gone", () -> certificateFor("dba") == 403);
        assertEquals(201, certificateFor("ops"));
    }
}
