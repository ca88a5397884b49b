package dev.writ.e2e.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.recording.Asciicast;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What security finds after the fact, with every part real: the CA over HTTP with its SQLite
 * store, the bastion in a JVM of its own, a real sshd as the target and the real OpenSSH client,
 * an auditor asking {@code GET /v1/recordings}. A bastion killed with SIGKILL in mid-session and
 * started again uploads the session as recorded up to a second before, marked truncated, signed
 * and searchable; a command run without a terminal is found by searching for the command.
 */
class RecordingReviewTest {

    static final String LOGIN = Sshd.currentUser();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
                recording: strict
            auditors:
              - match: { groups: [security] }
            """.formatted(LOGIN);
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration UPLOAD = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd web01;
    static Path config;
    static Path spool;
    static Engineer alice;
    static String auditor;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*")));
        web01 = Target.start(dir.resolve("web01"), ca, "web01");
        config = RunningBastion.writeConfig(dir.resolve("bastion"), 0, ca.url(), """
                targets:
                  - name: web01
                    address: 127.0.0.1:%d
                recordings:
                  spool: ./spool
                """.formatted(web01.port()));
        spool = dir.resolve("bastion/spool");
        alice = Engineer.login(dir.resolve("alice"), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
        auditor = idp.idToken("hal@example.com", List.of("security"));
    }

    @AfterAll
    static void stop() {
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
    void aSessionCutByKillingTheBastionIsUploadedTruncatedAndFoundAfterARestart() throws Exception {
        Instant killedAt;
        try (BastionProcess bastion = BastionProcess.start(config)) {
            Process ssh = new ProcessBuilder(alice.direct(bastion.port(), LOGIN, "web01", "-tt")).redirectErrorStream(true).start();
            try {
                ByteArrayOutputStream screen = pump(ssh.getInputStream());
                // the shell works it out, so the word is on screen only as output, never as what was typed
                ssh.getOutputStream().write("echo writ-crash-$((6 * 7))-seen\n".getBytes(StandardCharsets.UTF_8));
                ssh.getOutputStream().flush();
                await(screen, "writ-crash-42-seen");
                Thread.sleep(1_500); // the spool is written at least every second

                assertEquals(128 + 9, bastion.kill(), "killed by SIGKILL");
                killedAt = Instant.now();
                assertTrue(ssh.waitFor(10, TimeUnit.SECONDS), "ssh ends with the bastion: " + screen);
            } finally {
                ssh.destroyForcibly();
            }
        }
        List<Path> unfinished = spoolFiles(".cast.part");
        assertEquals(1, unfinished.size(), "the kill left the recording unfinished in the spool: " + unfinished);
        String id = unfinished.get(0).getFileName().toString().replace(".cast.part", "");

        try (BastionProcess restarted = BastionProcess.start(config)) {
            JsonNode found = awaitRecording("writ-crash-42-seen", restarted);
            assertEquals(List.of(id, "alice@example.com", LOGIN, "web01", "true"), List.of(found.get("id").asText(),
                    found.get("identity").asText(), found.get("login").asText(), found.get("target").asText(),
                    found.get("truncated").asText()));
            assertEquals("writ-crash-42-seen", found.get("hits").get(0).get("snippet").asText());
            assertFalse(Instant.parse(found.get("ended_at").asText()).isAfter(killedAt), found.toString());

            JsonNode verified = json(ca.get("/v1/recordings/" + id + "/verify", auditor));
            assertTrue(verified.get("ok").asBoolean() && verified.get("digest_ok").asBoolean()
                    && verified.get("signature_ok").asBoolean(), verified.toString());

            HttpResponse<String> download = ca.get("/v1/recordings/" + id, auditor);
            assertEquals(200, download.statusCode(), download.body());
            Asciicast.Recording cast = Asciicast.read(new StringReader(download.body()));
            assertEquals("true", cast.header().writ().get("truncated"));
            assertTrue(output(cast).contains("writ-crash-42-seen"), output(cast));
            Asciicast.Event last = cast.events().get(cast.events().size() - 1);
            assertEquals("truncated", JSON.readTree(last.data()).get("event").asText(), last.toString());

            // the audit log has the session's start (reported before the kill), its end (reported by the
            // restarted bastion from the unfinished recording) and the truncated upload
            String sessionId = found.get("session_id").asText();
            assertTrue(auditEvents("bastion.session.started").stream()
                    .anyMatch(e -> sessionId.equals(e.at("/details/session_id").asText())), "no bastion.session.started");
            JsonNode ended = auditEvents("bastion.session.ended").stream()
                    .filter(e -> sessionId.equals(e.at("/details/session_id").asText())).findFirst().orElseThrow();
            assertEquals("bastion_stopped", ended.at("/details/reason").asText(), ended.toString());
            assertEquals("alice@example.com", ended.get("actor").asText());
            assertEquals("error", ended.get("outcome").asText());
            JsonNode stored = auditEvents("recording.stored").stream()
                    .filter(e -> id.equals(e.at("/details/id").asText())).findFirst().orElseThrow();
            assertEquals("bastion:" + RunningBastion.NAME, stored.get("actor").asText());
            assertTrue(stored.at("/details/truncated").asBoolean(), stored.toString());

            awaitEmptySpool();
        }
    }

    @Test
    void aCommandRunWithoutATerminalIsFoundBySearchingForIt() throws Exception {
        Path victim = Files.createDirectories(dir.resolve("scratch/old-build")); // web01 runs on this machine
        try (BastionProcess bastion = BastionProcess.start(config)) {
            Processes.Result rm = Processes.run(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01"), "rm -rf " + victim));
            assertEquals(0, rm.exitCode(), rm.output());
            assertFalse(Files.exists(victim));

            JsonNode found = awaitRecording("rm -rf " + victim, bastion);
            assertEquals("exec: rm -rf " + victim, found.get("hits").get(0).get("snippet").asText());
            assertFalse(found.get("truncated").asBoolean());
            awaitEmptySpool();
        }
    }

    // --- helpers ---

    /** The one recording whose text has {@code text}, as an auditor searches for it, once the bastion has uploaded it. */
    static JsonNode awaitRecording(String text, BastionProcess bastion) throws Exception {
        long deadline = System.nanoTime() + UPLOAD.toNanos();
        while (true) {
            JsonNode found = json(ca.get("/v1/recordings?q=" + URLEncoder.encode(text, StandardCharsets.UTF_8), auditor))
                    .get("recordings");
            if (!found.isEmpty()) {
                assertEquals(1, found.size(), found.toString());
                return found.get(0);
            }
            assertTrue(System.nanoTime() < deadline, "no recording with '" + text + "' within " + UPLOAD + "; the bastion's log:\n"
                    + bastion.log());
            Thread.sleep(200);
        }
    }

    /** The bastion deletes a spool file only once the CA has confirmed its digest. */
    static void awaitEmptySpool() throws Exception {
        long deadline = System.nanoTime() + UPLOAD.toNanos();
        while (!spoolFiles("").isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "left in the spool: " + spoolFiles(""));
            Thread.sleep(100);
        }
    }

    static List<Path> spoolFiles(String suffix) throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    static List<JsonNode> auditEvents(String type) throws Exception {
        HttpResponse<String> response = ca.get("/v1/audit?type=" + type, auditor);
        assertEquals(200, response.statusCode(), response.body());
        List<JsonNode> events = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (!line.isBlank()) {
                events.add(JSON.readTree(line));
            }
        }
        return events;
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    static String output(Asciicast.Recording cast) {
        return cast.events().stream().filter(e -> e.code().equals("o")).map(Asciicast.Event::data).collect(Collectors.joining());
    }

    /** What a process prints, collected as it comes. */
    static ByteArrayOutputStream pump(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread thread = new Thread(() -> {
            try {
                in.transferTo(out);
            } catch (IOException e) {
                // the process is gone
            }
        });
        thread.setDaemon(true);
        thread.start();
        return out;
    }

    static void await(ByteArrayOutputStream out, String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!out.toString(StandardCharsets.UTF_8).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in: " + out.toString(StandardCharsets.UTF_8));
            Thread.sleep(50);
        }
    }
}
