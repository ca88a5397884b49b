package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.store.Store;
import dev.writ.ca.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summaries' bounds, against a real SQLite store: sources per window, and what a window holds. */
class RefusalSummariesTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
    Store store;
    RefusalSummaries summaries;

    @BeforeEach
    void open() throws Exception {
        store = Store.openSqlite(dir.resolve("writ.db"), nanos -> { });
        summaries = new RefusalSummaries(store, clock, Duration.ofSeconds(60), 2);
    }

    @AfterEach
    void close() {
        summaries.close();
        store.close();
    }

    static Map<String, Object> first(String path) {
        return Map.of("method", "GET", "path", path, "status", 404, "reason", "not_found", "detail", "Endpoint GET " + path + " not found");
    }

    /** actor, address, count, first path, and whether it is the overflow, of every summary written. */
    List<List<String>> written() throws Exception {
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("writ.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT actor, client_address, details FROM audit_events"
                     + " WHERE type = 'request.refused.summary' ORDER BY seq")) {
            while (rs.next()) {
                JsonNode details = JSON.readTree(rs.getString(3));
                rows.add(List.of(rs.getString(1), String.valueOf(rs.getString(2)), details.get("count").asText(),
                        details.get("first").get("path").asText(), String.valueOf(details.has("overflow"))));
            }
        }
        return rows;
    }

    @Test
    void summarisesTwoSourcesApartAndTheRestTogetherOnceTheWindowHasPassed() throws Exception {
        summaries.refused("anonymous", "192.0.2.1", "not_found", first("/a"));
        summaries.refused("anonymous", "192.0.2.2", "not_found", first("/b"));
        summaries.refused("anonymous", "192.0.2.1", "not_found", first("/a2"));
        summaries.refused("anonymous", "192.0.2.3", "not_found", first("/c"));
        summaries.refused("anonymous", "192.0.2.4", "not_found", first("/d"));
        summaries.refused("anonymous", "192.0.2.4", "not_found", first("/d2"));

        clock.advance(Duration.ofSeconds(59));
        summaries.flush();
        assertEquals(List.of(), written(), "nothing before the window has passed");

        clock.advance(Duration.ofSeconds(1));
        summaries.flush();
        assertEquals(List.of(
                List.of("anonymous", "192.0.2.1", "2", "/a", "false"),
                List.of("anonymous", "192.0.2.2", "1", "/b", "false"),
                List.of("anonymous", "null", "3", "/c", "true")), written());

        summaries.flush();
        assertEquals(3, written().size(), "each window is written once");
    }

    @Test
    void tellsWhetherARefusalOpenedAWindowAndWritesOpenWindowsWhenClosed() throws Exception {
        assertEquals(List.of(true, false, true), List.of(
                summaries.refused("anonymous", "192.0.2.1", "invalid_token", first("/v1/audit")),
                summaries.refused("anonymous", "192.0.2.1", "not_found", first("/x")),
                summaries.refused("carol@example.com", "192.0.2.1", "rate_limited", first("/v1/certs/user"))));
        summaries.close();
        assertEquals(List.of(
                List.of("anonymous", "192.0.2.1", "2", "/v1/audit", "false"),
                List.of("carol@example.com", "192.0.2.1", "1", "/v1/certs/user", "false")), written());
    }
}
