package dev.writ.bastion.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.ca.BastionCredential;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.api.BastionAuditEvent;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The uploader against a real CA (in-process, SQLite): the spool's events reach the audit log in
 * their order and once each, even when the bastion sends them again because the acknowledgement
 * was lost; an event the CA refuses for good is set aside without holding up the others.
 */
class AuditUploaderTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    TestIdp idp;
    TestCa ca;
    CaClient client;
    BastionMetrics metrics = new BastionMetrics();
    AuditSpool spool;
    AuditUploader uploader;

    @BeforeEach
    void start() throws Exception {
        idp = new TestIdp();
        String key = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), "roles: []\n", Clock.systemUTC(),
                RunningBastion.registration(key, List.of("127.0.0.1")));
        client = new CaClient(URI.create(ca.url()), null,
                BastionCredential.load(RunningBastion.NAME, dir.resolve("bastion/bastion_key"), Clock.systemUTC()));
    }

    @AfterEach
    void stop() {
        if (uploader != null) {
            uploader.close();
        }
        if (spool != null) {
            spool.close();
        }
        ca.close();
        idp.close();
    }

    void openSpool() throws Exception {
        spool = AuditSpool.open(dir.resolve("bastion/audit"), RunningBastion.NAME, 1L << 20, metrics, Clock.systemUTC());
    }

    static BastionAuditEvent refused(String who, String reason) {
        return new BastionAuditEvent("login.refused", "refused", who, "192.0.2.7", reason, Map.of("login", "root"));
    }

    /** The bastion_seq and actor of this bastion's events in the CA's log, in the log's order. */
    List<String> logged() throws Exception {
        List<String> events = new ArrayList<>();
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT actor, details FROM audit_events WHERE type LIKE 'bastion.%' ORDER BY seq")) {
            while (rs.next()) {
                events.add(JSON.readTree(rs.getString(2)).get("bastion_seq").asLong() + " " + rs.getString(1));
            }
        }
        return events;
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 15 s: " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void sendsTheSpoolInOrderAndEmptiesIt() throws Exception {
        openSpool();
        for (int i = 1; i <= 250; i++) { // more than one batch
            spool.append(refused("e" + i + "@example.com", "certificate_expired"));
        }
        uploader = new AuditUploader(spool, client, metrics, Duration.ofSeconds(1)).start();
        await(() -> spool.backlog() == 0, "the spool empties");
        List<String> logged = logged();
        assertEquals(250, logged.size());
        for (int i = 1; i <= 250; i++) {
            assertEquals(i + " e" + i + "@example.com", logged.get(i - 1));
        }
    }

    @Test
    void eventsSentAgainAfterALostAcknowledgementAreStoredOnce() throws Exception {
        openSpool();
        for (String who : List.of("a", "b", "c")) {
            spool.append(refused(who, "certificate_expired"));
        }
        List<AuditSpool.Spooled> batch = spool.oldest(100, Long.MAX_VALUE);
        client.auditBatch(new dev.writ.protocol.api.BastionAuditBatch(batch.stream().map(AuditSpool.Spooled::event).toList()));
        // the CA has them, but the bastion stopped before it could record that: all three are still in the spool
        spool.close();
        openSpool();
        spool.append(refused("d", "certificate_expired"));
        uploader = new AuditUploader(spool, client, metrics, Duration.ofSeconds(1)).start();
        await(() -> spool.backlog() == 0, "the spool empties");
        assertEquals(List.of("1 a", "2 b", "3 c", "4 d"), logged());
    }

    @Test
    void anEventTheCaRefusesIsSetAsideAndTheOthersGoOnInOrder() throws Exception {
        openSpool();
        spool.append(refused("a", "certificate_expired"));
        spool.append(refused("b", "Not A Reason")); // the CA wants snake_case
        spool.append(refused("c", "certificate_expired"));
        uploader = new AuditUploader(spool, client, metrics, Duration.ofSeconds(1)).start();
        await(() -> spool.backlog() == 0, "the spool empties");
        assertEquals(List.of("1 a", "3 c"), logged());
        JsonNode rejected = JSON.readTree(Files.readString(dir.resolve("bastion/audit").resolve(AuditSpool.REJECTED)));
        assertEquals("b", rejected.at("/event/actor").asText());
        assertEquals("HTTP 400: events[0]: reason must be a short snake_case word", rejected.get("why").asText());
        assertTrue(metrics.scrape().contains("writ_bastion_audit_events_dropped_total{reason=\"rejected\"} 1.0"),
                metrics.scrape());
    }
}
