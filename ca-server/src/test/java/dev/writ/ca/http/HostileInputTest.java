package dev.writ.ca.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input at every endpoint of {@link Routes}: control characters of every class in query
 * values, names and path ids, broken percent-encodings, overlong values, repeated parameters,
 * hostile headers and bodies. Each case is a 4xx problem with its exact detail, audited as a
 * refusal when it reached the CA's handlers, and nothing else is written. Requests go over a raw
 * socket, so that what no HTTP client library would send is sent too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
            admins:
              - match: { groups: [writ-admins] }
            auditors:
              - match: { groups: [security] }
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    /** Who calls: each endpoint is called with the credential it asks for, so that hostile bodies reach its handler. */
    enum Who { NOBODY, ENGINEER, AUDITOR, ADMIN, BASTION }

    /** What an endpoint reads as its body. */
    enum Body { NONE, JSON, RECORDING }

    /** One route of {@link Routes}; {@code params} are the query parameters it reads (none: a parameter it ignores is tried). */
    record Endpoint(String method, String path, Who who, Body body, List<String> params) {
        String name() {
            return method + " " + path;
        }

        String target(String id) {
            return path.replace("{id}", id);
        }

        boolean hasId() {
            return path.contains("{id}");
        }
    }

    static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("GET", "/healthz", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/readyz", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/metrics", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/login-config", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/ca", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/ca/user.pub", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/ca/known_hosts", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("POST", "/v1/certs/user", Who.ENGINEER, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/certs/host", Who.ENGINEER, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/certs/host/renew", Who.NOBODY, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/join-tokens", Who.ADMIN, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/access-requests", Who.ENGINEER, Body.JSON, List.of()),
            new Endpoint("GET", "/v1/access-requests", Who.ENGINEER, Body.NONE, List.of("state", "mine", "limit")),
            new Endpoint("GET", "/v1/access-requests/{id}", Who.ENGINEER, Body.NONE, List.of()),
            new Endpoint("POST", "/v1/access-requests/{id}/reviews", Who.ENGINEER, Body.JSON, List.of()),
            new Endpoint("DELETE", "/v1/access-requests/{id}", Who.ENGINEER, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/audit", Who.AUDITOR, Body.NONE,
                    List.of("actor", "type", "since", "until", "after_seq", "limit")),
            new Endpoint("GET", "/v1/audit/verify", Who.AUDITOR, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/audit/key", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/audit/checkpoints", Who.AUDITOR, Body.NONE, List.of("after_seq", "limit")),
            new Endpoint("GET", "/v1/audit/export", Who.AUDITOR, Body.NONE, List.of("since", "until")),
            new Endpoint("POST", "/v1/revocations", Who.ADMIN, Body.JSON, List.of()),
            new Endpoint("GET", "/v1/krl", Who.NOBODY, Body.NONE, List.of()),
            new Endpoint("POST", "/v1/certs/session", Who.BASTION, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/certs/bastion-host", Who.BASTION, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/audit/bastion", Who.BASTION, Body.JSON, List.of()),
            new Endpoint("POST", "/v1/audit/bastion/batch", Who.BASTION, Body.JSON, List.of()),
            new Endpoint("GET", "/v1/bastion/policy", Who.BASTION, Body.NONE, List.of()),
            new Endpoint("POST", "/v1/bastion/sync", Who.BASTION, Body.JSON, List.of()),
            new Endpoint("GET", "/v1/sessions", Who.AUDITOR, Body.NONE, List.of()),
            new Endpoint("DELETE", "/v1/sessions/{id}", Who.ADMIN, Body.NONE, List.of("reason")),
            new Endpoint("PUT", "/v1/recordings/{id}", Who.BASTION, Body.RECORDING, List.of()),
            new Endpoint("GET", "/v1/recordings", Who.AUDITOR, Body.NONE, List.of("q", "user", "target", "since", "until", "limit")),
            new Endpoint("GET", "/v1/recordings/{id}", Who.AUDITOR, Body.NONE, List.of()),
            new Endpoint("GET", "/v1/recordings/{id}/verify", Who.AUDITOR, Body.NONE, List.of()));

    /**
     * One hostile request and exactly how it is refused; {@code audited} is false where Jetty refuses it before writ;
     * {@code summarised}: a refusal anybody can cause in any number (a missing or bad credential), which the CA counts
     * into one summary per source and window instead of an event of its own.
     */
    record Case(String name, Endpoint endpoint, String target, Map<String, String> headers, byte[] body,
                int status, String detail, boolean audited, boolean summarised) {

        Case(String name, Endpoint endpoint, String target, Map<String, String> headers, byte[] body, int status,
             String detail, boolean audited) {
            this(name, endpoint, target, headers, body, status, detail, audited, false);
        }

        /** Whether the refusal is one request.refused event of its own. */
        boolean oneEvent() {
            return audited && !summarised;
        }
        @Override
        public String toString() {
            return name;
        }
    }

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    RecordingBastion bastion;
    Map<Who, String> tokens = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        bastion = RecordingBastion.generate("bastion-1");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(), bastion.config(), GrantEndedListener.NONE);
        tokens.put(Who.ENGINEER, idp.idToken("alice@example.com", List.of("engineering")));
        tokens.put(Who.AUDITOR, idp.idToken("hal@example.com", List.of("security")));
        tokens.put(Who.ADMIN, idp.idToken("root@example.com", List.of("writ-admins")));
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    // ---- the table

    /** Control characters of each class, percent-encoded as UTF-8, by the name their case carries. */
    static final Map<String, String> CONTROLS = controls();

    private static Map<String, String> controls() {
        Map<String, String> controls = new LinkedHashMap<>();
        controls.put("nul", "%00");
        controls.put("soh", "%01");
        controls.put("tab", "%09");
        controls.put("newline", "%0A");
        controls.put("carriage-return", "%0D");
        controls.put("escape", "%1B");
        controls.put("unit-separator", "%1F");
        controls.put("del", "%7F");
        controls.put("c1-padding", "%C2%80");
        controls.put("c1-next-line", "%C2%85");
        controls.put("c1-csi", "%C2%9B");
        controls.put("c1-apc", "%C2%9F");
        return controls;
    }

    Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Endpoint endpoint : ENDPOINTS) {
            cases.addAll(queryCases(endpoint));
            cases.addAll(idCases(endpoint));
            cases.addAll(headerCases(endpoint));
            cases.addAll(bodyCases(endpoint));
        }
        return cases.stream();
    }

    Stream<Arguments> table() {
        return cases().map(c -> Arguments.of(c.endpoint().name() + " " + c.name(), c));
    }

    List<Case> queryCases(Endpoint endpoint) {
        List<Case> cases = new ArrayList<>();
        String base = endpoint.target("abc");
        List<String> params = endpoint.params().isEmpty() ? List.of("q") : endpoint.params();
        String p = params.get(0);
        CONTROLS.forEach((name, encoded) -> cases.add(refused(endpoint, "fail/" + name + "-in-" + p,
                base + "?" + p + "=ab" + encoded + "cd", "query parameter " + p + " contains a control character")));
        for (String other : params.subList(1, params.size())) {
            cases.add(refused(endpoint, "fail/nul-in-" + other, base + "?" + other + "=%00",
                    "query parameter " + other + " contains a control character"));
        }
        cases.add(refused(endpoint, "fail/nul-in-a-name", base + "?a%00b=1", "a query parameter name contains a control character"));
        cases.add(refused(endpoint, "fail/escape-in-a-name", base + "?%1B[2J=1", "a query parameter name contains a control character"));
        cases.add(refused(endpoint, "fail/nul-after-a-good-parameter", base + "?" + p + "=1&x=%00",
                "query parameter x contains a control character"));
        cases.add(refused(endpoint, "fail/overlong-" + p, base + "?" + p + "=" + "a".repeat(Query.MAX_VALUE_LENGTH + 1),
                "query parameter " + p + " is longer than 1024 characters"));
        cases.add(refused(endpoint, "fail/overlong-name", base + "?" + "n".repeat(Query.MAX_VALUE_LENGTH + 1) + "=1",
                "query parameter (unprintable name) is longer than 1024 characters"));
        cases.add(refused(endpoint, "fail/bad-utf8-in-" + p, base + "?" + p + "=%C3%28",
                "query parameter " + p + " is not UTF-8 once percent-decoded"));
        cases.add(refused(endpoint, "fail/lone-continuation-byte-in-" + p, base + "?" + p + "=%80",
                "query parameter " + p + " is not UTF-8 once percent-decoded"));
        cases.add(refused(endpoint, "fail/overlong-utf8-slash-in-" + p, base + "?" + p + "=%C0%AF",
                "query parameter " + p + " is not UTF-8 once percent-decoded"));
        cases.add(refused(endpoint, "fail/utf16-surrogate-in-" + p, base + "?" + p + "=%ED%A0%80",
                "query parameter " + p + " is not UTF-8 once percent-decoded"));
        cases.add(refused(endpoint, "fail/percent-without-hex-in-" + p, base + "?" + p + "=%zz",
                "query parameter " + p + " has a % that is not followed by two hex digits"));
        cases.add(refused(endpoint, "fail/truncated-percent-in-" + p, base + "?" + p + "=ab%4",
                "query parameter " + p + " has a % that is not followed by two hex digits"));
        cases.add(refused(endpoint, "fail/duplicate-" + p, base + "?" + p + "=1&" + p + "=2",
                "query parameter " + p + " is given more than once"));
        return cases;
    }

    List<Case> idCases(Endpoint endpoint) {
        if (!endpoint.hasId()) {
            return List.of();
        }
        List<Case> cases = new ArrayList<>();
        for (String control : List.of("soh", "escape", "unit-separator", "del", "c1-csi")) {
            cases.add(new Case("fail/" + control + "-in-id", endpoint, endpoint.target("ab" + CONTROLS.get(control) + "cd"),
                    Map.of(), body(endpoint), 400, "path segment id contains a control character", true));
        }
        // Jetty's URI parser refuses an encoded NUL in a path before writ sees the request, and names no reason
        cases.add(new Case("fail/nul-in-id", endpoint, endpoint.target("ab%00cd"), Map.of(), body(endpoint),
                400, "the request was refused by the HTTP layer: Bad Request", false));
        cases.add(new Case("fail/overlong-id", endpoint, endpoint.target("i".repeat(Query.MAX_VALUE_LENGTH + 1)), Map.of(),
                body(endpoint), 400, "path segment id is longer than 1024 characters", true));
        return cases;
    }

    List<Case> headerCases(Endpoint endpoint) {
        List<Case> cases = new ArrayList<>();
        String target = endpoint.target("abc");
        cases.add(new Case("fail/huge-authorization", endpoint, target, Map.of("Authorization", "Bearer " + "A".repeat(20_000)),
                null, 431, "the request was refused by the HTTP layer: Request Header Fields Too Large", false));
        cases.add(new Case("fail/control-character-in-a-header", endpoint, target, Map.of("X-Note", "a\u0001b"),
                null, 400, "the request was refused by the HTTP layer: Illegal character CNTL=0x1", false));
        if (endpoint.who() != Who.NOBODY) {
            cases.add(new Case("fail/basic-authorization", endpoint, target, Map.of("Authorization", "Basic YTpi"),
                    body(endpoint), 401, endpoint.who() == Who.ENGINEER && endpoint.path().startsWith("/v1/certs/host")
                    ? "a workload OIDC token (Authorization: Bearer <token>) or a join token (Authorization: JoinToken <token>) is required"
                    : "the Authorization header must use the Bearer scheme", true, true));
            cases.add(new Case("fail/token-of-8k-garbage", endpoint, target, Map.of("Authorization", "Bearer " + "A".repeat(7_000)),
                    body(endpoint), 401, endpoint.who() == Who.BASTION ? "bastion assertion rejected: malformed assertion"
                    : "token rejected: malformed token", true, true));
        }
        return cases;
    }

    List<Case> bodyCases(Endpoint endpoint) {
        List<Case> cases = new ArrayList<>();
        String target = endpoint.target("abc");
        if (endpoint.body() == Body.JSON) {
            cases.add(json(endpoint, "fail/bad-content-type", target, "text/plain", "{}", "Content-Type must be application/json"));
            cases.add(json(endpoint, "fail/not-json", target, "application/json", "public_key=ssh-ed25519",
                    "the request body is not valid JSON"));
            cases.add(json(endpoint, "fail/empty-body", target, "application/json", "",
                    "the request body is empty; a JSON object is expected"));
            cases.add(json(endpoint, "fail/json-array", target, "application/json", "[]", "the request body must be a JSON object"));
            cases.add(json(endpoint, "fail/json-null", target, "application/json", "null", "the request body must be a JSON object"));
            cases.add(json(endpoint, "fail/deeply-nested", target, "application/json", "[".repeat(5_000) + "]".repeat(5_000),
                    "the request body must be a JSON object"));
            boolean sync = endpoint.path().equals("/v1/bastion/sync");
            cases.add(json(endpoint, "fail/deeply-nested-in-a-field", target, "application/json",
                    "{\"" + stringField(endpoint) + "\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}",
                    "field '" + stringField(endpoint) + "' has the wrong type"));
            String complete = sync ? "{\"krl_version\":0,\"sessions\":[],\"wait_seconds\":0" : "{";
            cases.add(json(endpoint, "fail/unknown-field", target, "application/json",
                    complete + (sync ? "," : "") + "\"surprise\":1}", "unknown field 'surprise'"));
            cases.add(json(endpoint, "fail/trailing-garbage", target, "application/json",
                    complete + "} {}", "the request body must be a JSON object"));
            cases.add(json(endpoint, "fail/huge-number", target, "application/json", "{\"" + numberField(endpoint) + "\":"
                    + "9".repeat(2_000) + "}",
                    "the request body is beyond what the CA reads: JSON nested over 1000 deep, or a number over 1000 digits"));
            cases.add(json(endpoint, "fail/truncated-json", target, "application/json", "{\"" + stringField(endpoint) + "\":\"ab",
                    "the request body is not valid JSON"));
            cases.add(nulInAString(endpoint, target));
            cases.add(json(endpoint, "fail/invalid-utf8-in-json", target, "application/json", "{\"" + stringField(endpoint) + "\":\"\u00c3(\"}",
                    "the request body is not valid JSON"));
        }
        if (endpoint.body() == Body.RECORDING) {
            cases.add(new Case("fail/bad-content-type", endpoint, target, Map.of("Content-Type", "text/html"),
                    "{}".getBytes(StandardCharsets.UTF_8), 400,
                    "Content-Type must be application/x-asciicast or application/octet-stream", true));
        }
        return cases;
    }

    /**
     * A NUL (JSON's {@code \u0000}) in the first string the endpoint checks: refused by that
     * check, never stored, never a 5xx.
     */
    Case nulInAString(Endpoint endpoint, String target) {
        String nul = "\"ab\\u0000cd\"";
        record Expected(String body, int status, String detail) {
        }
        Expected expected = switch (endpoint.path()) {
            case "/v1/certs/host/renew" -> new Expected("{\"proof\":" + nul + "}", 401, "renewal proof rejected: malformed proof");
            case "/v1/join-tokens" -> new Expected("{\"hostnames\":[" + nul + "]}", 400,
                    "hostname 'ab?cd' is not a valid DNS name (lower-case letters, digits, '-' and '.')");
            case "/v1/access-requests" -> new Expected("{\"role\":" + nul + "}", 400, "role must be one line without control characters");
            case "/v1/access-requests/{id}/reviews" -> new Expected("{\"decision\":" + nul + "}", 400,
                    "decision must be one line without control characters");
            case "/v1/revocations" -> new Expected("{\"serial\":" + nul + "}", 400, "serial must be one line without control characters");
            case "/v1/audit/bastion" -> new Expected("{\"type\":" + nul + "}", 400,
                    "type must be one of [channel.refused, login.refused, session.ended, session.started]");
            case "/v1/audit/bastion/batch" -> new Expected("{\"events\":[{\"type\":" + nul + "}]}", 400,
                    "events[0]: type must be one of [channel.refused, login.refused, session.ended, session.started]");
            case "/v1/bastion/sync" -> new Expected("{\"krl_version\":0,\"sessions\":[" + nul + "],\"wait_seconds\":0}", 400,
                    "field 'sessions' has the wrong type");
            default -> new Expected("{\"public_key\":" + nul + "}", 400, "public_key is not a valid OpenSSH public key");
        };
        return new Case("fail/nul-in-a-json-string", endpoint, target, Map.of("Content-Type", "application/json"),
                expected.body().getBytes(StandardCharsets.UTF_8), expected.status(), expected.detail(), true);
    }

    /** A string field of the endpoint's body, where nesting and truncation are tried. */
    static String stringField(Endpoint endpoint) {
        return switch (endpoint.path()) {
            case "/v1/access-requests" -> "role";
            case "/v1/access-requests/{id}/reviews" -> "decision";
            case "/v1/certs/session" -> "principal";
            case "/v1/audit/bastion" -> "type";
            case "/v1/audit/bastion/batch" -> "events";
            case "/v1/revocations" -> "serial";
            case "/v1/join-tokens" -> "ttl";
            case "/v1/bastion/sync" -> "sessions";
            default -> "public_key";
        };
    }

    /** A field where a number of 2000 digits is tried: a number field where the body has one. */
    static String numberField(Endpoint endpoint) {
        return endpoint.path().equals("/v1/bastion/sync") ? "krl_version" : stringField(endpoint);
    }

    Case json(Endpoint endpoint, String name, String target, String contentType, String body, String detail) {
        return new Case(name, endpoint, target, Map.of("Content-Type", contentType), body.getBytes(StandardCharsets.ISO_8859_1),
                400, detail, true);
    }

    Case refused(Endpoint endpoint, String name, String target, String detail) {
        return new Case(name, endpoint, target, Map.of(), body(endpoint), 400, detail, true);
    }

    /** A well-formed body where the endpoint reads one, so that only the hostile part is hostile. */
    static byte[] body(Endpoint endpoint) {
        return endpoint.body() == Body.NONE ? null : "{}".getBytes(StandardCharsets.UTF_8);
    }

    // ---- the test

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void isRefusedWithA4xxNamingTheProblemAndNothingIsWritten(String name, Case hostile) throws Exception {
        Map<String, Long> before = rows();
        long refusals = count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'");
        Map<String, String> headers = new LinkedHashMap<>();
        String token = hostile.endpoint().who() == Who.BASTION ? bastion.token(Instant.now()) : tokens.get(hostile.endpoint().who());
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        if (hostile.body() != null) {
            headers.put("Content-Type", hostile.endpoint().body() == Body.RECORDING ? "application/x-asciicast" : "application/json");
        }
        headers.putAll(hostile.headers());
        Answer answer = send(hostile.endpoint().method(), hostile.target(), headers, hostile.body());

        assertEquals(hostile.status(), answer.status(), answer.body());
        assertTrue(answer.contentType().startsWith("application/problem+json"), answer.contentType());
        JsonNode problem = JSON.readTree(answer.body());
        assertEquals(hostile.detail(), problem.get("detail").asText());
        assertEquals(hostile.status(), problem.get("status").asInt());
        assertEquals(before, rows());
        assertEquals(refusals + (hostile.oneEvent() ? 1 : 0), count("SELECT COUNT(*) FROM audit_events WHERE type = 'request.refused'"));
        if (hostile.oneEvent()) {
            JsonNode audited = lastRefusal();
            assertEquals(hostile.detail(), audited.get("detail").asText());
            assertEquals(hostile.status(), audited.get("status").asInt());
        }
    }

    @Test
    void theNulThatReachedTheSearchIndexIsA400NotA503() throws Exception {
        Answer answer = send("GET", "/v1/recordings?q=ab%00cd", Map.of("Authorization", "Bearer " + tokens.get(Who.AUDITOR)), null);
        assertEquals(400, answer.status(), answer.body());
        assertEquals("query parameter q contains a control character", JSON.readTree(answer.body()).get("detail").asText());
    }

    @Test
    void wellFormedQueriesStillReachTheirHandlers() throws Exception {
        String auditor = "Bearer " + tokens.get(Who.AUDITOR);
        assertEquals(200, send("GET", "/v1/recordings?q=caf%C3%A9+cr%C3%A8me&user=alice%40example.com&limit=5",
                Map.of("Authorization", auditor), null).status());
        assertEquals(200, send("GET", "/v1/audit?type=request.refused&limit=1&", Map.of("Authorization", auditor), null).status());
        assertEquals(200, send("GET", "/healthz?", Map.of(), null).status());
    }

    @Test
    void theTableCoversEveryEndpointOfRoutes() throws Exception {
        // one endpoint per route in Routes.register: a new route without hostile cases fails here
        String routes = java.nio.file.Files.readString(Path.of("src/main/java/dev/writ/ca/http/Routes.java"));
        long registered = routes.lines().filter(l -> l.strip().matches("routes\\.(get|post|put|delete)\\(\".*")).count();
        assertEquals(registered, ENDPOINTS.size());
    }

    @Test
    void theReadmeStatesHowManyCasesThereAre() throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("../README.md")).replaceAll("\\s+", " ");
        long all = cases().count();
        long beforeWrit = cases().filter(c -> !c.audited()).count();
        assertTrue(readme.contains("`HostileInputTest` sends " + all + " hostile requests"), "README.md does not say " + all);
        assertTrue(readme.contains("all but the " + beforeWrit + " that Jetty refuses first"), "README.md does not say " + beforeWrit);
    }

    // ---- plumbing

    /**
     * The row count of every table of the store, but the audit log's (where each refusal is one event, and its
     * checkpoints follow) and the spent bastion assertion ids' (a bastion's signed assertion is spent once presented,
     * even when the request it carried is refused, so that it can never be replayed).
     */
    Map<String, Long> rows() throws Exception {
        List<String> tables = new ArrayList<>();
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                        + " AND name NOT IN ('audit_events', 'audit_head', 'audit_checkpoints', 'bastion_assertion_ids') ORDER BY name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        assertTrue(tables.contains("certificates") && tables.contains("access_requests"), tables.toString());
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String table : tables) {
            rows.put(table, count("SELECT COUNT(*) FROM " + table));
        }
        return rows;
    }

    JsonNode lastRefusal() throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT details FROM audit_events WHERE type = 'request.refused' ORDER BY seq DESC LIMIT 1")) {
            rs.next();
            return JSON.readTree(rs.getString(1));
        }
    }

    long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    record Answer(int status, String contentType, String body) {
    }

    /** One HTTP/1.1 request, written byte for byte as given (ISO-8859-1), on a fresh connection. */
    Answer send(String method, String target, Map<String, String> headers, byte[] body) throws Exception {
        int port = java.net.URI.create(ca.url()).getPort();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(15_000);
            StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            if (body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return parse(socket.getInputStream().readAllBytes());
        }
    }

    static Answer parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        String contentType = "";
        boolean chunked = false;
        for (String line : lines) {
            String lower = line.toLowerCase();
            if (lower.startsWith("content-type:")) {
                contentType = line.substring(13).strip();
            }
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        String rest = text.substring(end + 4);
        if (chunked) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int at = 0;
            while (true) {
                int lineEnd = rest.indexOf("\r\n", at);
                int size = Integer.parseInt(rest.substring(at, lineEnd).split(";")[0].strip(), 16);
                if (size == 0) {
                    break;
                }
                body.writeBytes(rest.substring(lineEnd + 2, lineEnd + 2 + size).getBytes(StandardCharsets.ISO_8859_1));
                at = lineEnd + 2 + size + 2;
            }
            rest = body.toString(StandardCharsets.ISO_8859_1);
        }
        return new Answer(status, contentType, new String(rest.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }
}
