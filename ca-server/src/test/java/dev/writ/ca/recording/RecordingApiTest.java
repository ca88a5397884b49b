package dev.writ.ca.recording;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestCast;
import dev.writ.ca.testing.TestIdp;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/recordings} end to end: a real CA with a bastion registered by its public key, a
 * real OIDC issuer for auditors and engineers, real HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecordingApiTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
            auditors:
              - match: { groups: [security] }
            """;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Over the CA's 64 KiB limit for other bodies, under this CA's recording limit. */
    static final int MAX = 300_000;

    @TempDir
    static Path dir;
    TestIdp idp;
    TestCa ca;
    RecordingBastion bastion;
    RecordingBastion impostor;
    String auditor;
    String engineer;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        bastion = RecordingBastion.generate("bastion-1");
        impostor = RecordingBastion.generate("bastion-1");
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, java.time.Clock.systemUTC(),
                bastion.config() + "recording_max_bytes: " + MAX + "\n", dev.writ.ca.access.GrantEndedListener.NONE);
        auditor = idp.idToken("hal@example.com", List.of("security"));
        engineer = idp.idToken("alice@example.com", List.of("engineering"));
    }

    @AfterAll
    void stop() {
        ca.close();
        idp.close();
    }

    /** A session with 200 KiB of output before the command, so that the body is well over 64 KiB. */
    static byte[] session(String id, String command) {
        TestCast cast = TestCast.session("s-" + id, "alice@example.com", "root", "web01.prod");
        for (int i = 0; i < 2000; i++) {
            cast.output(0.001 * i, "log line " + i + " " + "x".repeat(90) + "\r\n");
        }
        return cast.output(3.5, "alice@web01:~$ ").output(4.25, command + "\r\n").output(5.0, "alice@web01:~$ exit\r\n").bytes();
    }

    JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    String detail(HttpResponse<String> response) throws Exception {
        return json(response).get("detail").asText();
    }

    JsonNode search(String query) throws Exception {
        HttpResponse<String> response = ca.get("/v1/recordings?" + query, auditor);
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("recordings");
    }

    static String q(String text) {
        return "q=" + URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    long rows(String id) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM recordings WHERE id = '" + id + "'")) {
            return rs.getLong(1);
        }
    }

    List<Path> files(String id) throws Exception {
        try (Stream<Path> walk = Files.walk(dir.resolve("ca/data/recordings"))) {
            return walk.filter(p -> p.getFileName().toString().startsWith(id + ".")).toList();
        }
    }

    @Nested
    class Upload {

        @Test
        void aSignedRecordingIsStoredAndFoundByItsCommandAtTheRightOffset() throws Exception {
            byte[] body = session("up-1", "sudo rm -rf /var/lib/app");
            assertTrue(body.length > 64 * 1024);

            HttpResponse<String> stored = bastion.upload(ca.url(), "up-1", body);

            assertEquals(201, stored.statusCode(), stored.body());
            assertEquals(RecordingBastion.sha256Hex(body), json(stored).get("sha256").asText());
            JsonNode found = search(q("rm -rf /var/lib"));
            assertEquals(1, found.size(), found.toString());
            JsonNode hit = found.get(0);
            assertEquals(List.of("up-1", "alice@example.com", "root", "web01.prod", "1"), List.of(hit.get("id").asText(),
                    hit.get("identity").asText(), hit.get("login").asText(), hit.get("target").asText(),
                    hit.get("hit_count").asText()));
            assertEquals(4.25, hit.get("hits").get(0).get("offset").asDouble());
            assertEquals("alice@web01:~$ sudo rm -rf /var/lib/app", hit.get("hits").get(0).get("snippet").asText());
        }

        @Test
        void theSameFileAgainIs200AndAnotherFileUnderThatIdIs409() throws Exception {
            byte[] body = session("up-2", "ls");
            assertEquals(201, bastion.upload(ca.url(), "up-2", body).statusCode());

            HttpResponse<String> again = bastion.upload(ca.url(), "up-2", body);
            HttpResponse<String> other = bastion.upload(ca.url(), "up-2", session("up-2", "ls -la"));

            assertEquals(200, again.statusCode(), again.body());
            assertEquals(409, other.statusCode(), other.body());
            assertTrue(detail(other).startsWith("recording up-2 is stored already with another digest"), detail(other));
            assertEquals(1, files("up-2").size());
        }

        @Test
        void aWrongDigestIs400AndNothingIsStored() throws Exception {
            byte[] body = session("up-3", "id");
            String wrong = RecordingBastion.sha256Hex("something else".getBytes());

            HttpResponse<String> refused = bastion.upload(ca.url(), "up-3", body, wrong,
                    bastion.sign(HexFormat.of().parseHex(wrong)));

            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(detail(refused).startsWith("the body's SHA-256 is "), detail(refused));
            assertEquals(0, rows("up-3"));
            assertTrue(files("up-3").isEmpty());
        }

        @Test
        void aSignatureByAnotherKeyIs401AndNothingIsStored() throws Exception {
            byte[] body = session("up-4", "id");
            String sha256 = RecordingBastion.sha256Hex(body);

            HttpResponse<String> refused = bastion.upload(ca.url(), "up-4", body, sha256,
                    impostor.sign(HexFormat.of().parseHex(sha256)));

            assertEquals(401, refused.statusCode(), refused.body());
            assertEquals("the Writ-Recording-Signature is not bastion bastion-1's signature over the digest", detail(refused));
            assertEquals(0, rows("up-4"));
            assertTrue(files("up-4").isEmpty());
        }

        @Test
        void refusalsReachAClientThatIsStillSendingItsBody() throws Exception {
            byte[] body = session("up-7", "id");
            TestCast big = TestCast.session("s", "a@x", "root", "web01");
            for (int i = 0; i < 4000; i++) {
                big.output(i, "y".repeat(100) + "\n");
            }
            for (int i = 0; i < 15; i++) {
                // answered before the body is read: the CA reads and drops it, so the answer arrives
                assertEquals(401, impostor.upload(ca.url(), "up-7", body).statusCode());
                assertEquals(413, bastion.upload(ca.url(), "up-7", big.bytes()).statusCode());
            }
        }

        @Test
        void onlyARegisteredBastionMayUpload() throws Exception {
            byte[] body = session("up-5", "id");
            HttpResponse<String> asImpostor = impostor.upload(ca.url(), "up-5", body);
            HttpResponse<String> asEngineer = put("up-5", body, engineer);
            HttpResponse<String> anonymous = put("up-5", body, null);

            assertEquals(List.of(401, 401, 401), List.of(asImpostor.statusCode(), asEngineer.statusCode(), anonymous.statusCode()));
            assertEquals("bastion assertion rejected: bad signature", detail(asImpostor));
            assertEquals("bastion assertion rejected: unknown bastion", detail(asEngineer));
            assertEquals("a bastion assertion is required: Authorization: Bearer <jwt>", detail(anonymous));
            assertEquals(0, rows("up-5"));
        }

        @Test
        void aRecordingOverItsOwnLimitIs413WhileOtherRoutesKeep64KiB() throws Exception {
            TestCast big = TestCast.session("s", "a@x", "root", "web01");
            for (int i = 0; i < 4000; i++) {
                big.output(i, "y".repeat(100) + "\n");
            }
            HttpResponse<String> tooBig = bastion.upload(ca.url(), "up-6", big.bytes());
            HttpResponse<String> certificate = ca.post("/v1/certs/user", engineer, "{\"public_key\":\"" + "A".repeat(70_000) + "\"}");

            assertEquals(413, tooBig.statusCode(), tooBig.body());
            assertEquals("the recording is larger than " + MAX + " bytes (recording_max_bytes)", detail(tooBig));
            assertEquals(413, certificate.statusCode());
            assertEquals(0, rows("up-6"));
        }

        HttpResponse<String> put(String id, byte[] body, String bearer) throws Exception {
            String sha256 = RecordingBastion.sha256Hex(body);
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ca.url() + "/v1/recordings/" + id))
                    .header("Writ-Recording-Sha256", sha256)
                    .header("Writ-Recording-Signature", bastion.sign(HexFormat.of().parseHex(sha256)))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
            if (bearer != null) {
                request.header("Authorization", "Bearer " + bearer);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Nested
    class Review {

        @Test
        void onlyAuditorsSearchDownloadOrVerify() throws Exception {
            assertEquals(201, bastion.upload(ca.url(), "rv-1", session("rv-1", "whoami")).statusCode());
            for (String path : List.of("/v1/recordings", "/v1/recordings/rv-1", "/v1/recordings/rv-1/verify")) {
                HttpResponse<String> asEngineer = ca.get(path, engineer);
                assertEquals(403, asEngineer.statusCode(), path);
                assertEquals("only auditors may review recordings", detail(asEngineer));
                assertEquals(401, ca.get(path, null).statusCode(), path);
            }
        }

        @Test
        void theDownloadIsTheFileWithItsDigestAndSignatureAndIsAudited() throws Exception {
            byte[] body = session("rv-2", "cat /etc/hostname");
            assertEquals(201, bastion.upload(ca.url(), "rv-2", body).statusCode());

            HttpResponse<byte[]> download = HTTP.send(HttpRequest.newBuilder(URI.create(ca.url() + "/v1/recordings/rv-2"))
                    .header("Authorization", "Bearer " + auditor).build(), HttpResponse.BodyHandlers.ofByteArray());

            assertEquals(200, download.statusCode());
            assertArrayEquals(body, download.body());
            assertEquals("application/x-asciicast", download.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(RecordingBastion.sha256Hex(body), download.headers().firstValue("Writ-Recording-Sha256").orElseThrow());
            assertTrue(download.headers().firstValue("Writ-Recording-Signature").isPresent());
            String audit = ca.get("/v1/audit?type=recording.viewed", auditor).body();
            assertTrue(audit.contains("\"actor\":\"hal@example.com\"") && audit.contains("\"id\":\"rv-2\""), audit);
        }

        @Test
        void aTamperedStoredFileFailsVerification() throws Exception {
            byte[] body = session("rv-3", "rm -rf /srv/data");
            assertEquals(201, bastion.upload(ca.url(), "rv-3", body).statusCode());
            JsonNode before = json(ca.get("/v1/recordings/rv-3/verify", auditor));
            assertTrue(before.get("ok").asBoolean(), before.toString());

            Path file = files("rv-3").get(0);
            assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(file, new String(body, StandardCharsets.UTF_8).replace("rm -rf /srv/data", "ls -l /srv/data"));
            JsonNode after = json(ca.get("/v1/recordings/rv-3/verify", auditor));

            assertFalse(after.get("ok").asBoolean(), after.toString());
            assertFalse(after.get("digest_ok").asBoolean());
            assertTrue(after.get("signature_ok").asBoolean());
            assertTrue(ca.get("/v1/audit?type=recording.verified", auditor).body().contains("\"outcome\":\"error\""));
        }

        @Test
        void filtersByUserTargetAndTime() throws Exception {
            byte[] body = TestCast.session("s-f", "bob@example.com", "deploy", "db07.staging").startedAt(1_700_000_000L)
                    .output(1, "pg_dump customers\r\n").output(30, "done\r\n").bytes();
            assertEquals(201, bastion.upload(ca.url(), "rv-4", body).statusCode());

            assertEquals("rv-4", search("user=bob@example.com").get(0).get("id").asText());
            assertEquals(1, search("target=db07*&" + q("pg_dump")).size());
            assertEquals(0, search("target=web*&" + q("pg_dump")).size());
            assertEquals(1, search("since=2023-11-14T22:13:00Z&until=2023-11-14T22:14:00Z&user=bob@example.com").size());
            assertEquals(0, search("since=2023-11-14T22:14:00Z&user=bob@example.com").size());
        }

        @Test
        void aCommandRunWithoutATerminalIsFoundByItsExecMarker() throws Exception {
            byte[] body = TestCast.session("s-x", "carol@example.com", "root", "web03").fact("recording", "events")
                    .event(0.2, "m", "{\"event\":\"exec\",\"command\":\"rm -rf /var/cache/app\"}")
                    .event(1.5, "m", "{\"event\":\"exit\",\"status\":0}").bytes();
            assertEquals(201, bastion.upload(ca.url(), "rv-5", body).statusCode());

            JsonNode found = search("user=carol@example.com&" + q("rm -rf /var/cache"));

            assertEquals(1, found.size(), found.toString());
            assertEquals(0.2, found.get(0).get("hits").get(0).get("offset").asDouble());
            assertEquals("exec: rm -rf /var/cache/app", found.get(0).get("hits").get(0).get("snippet").asText());
            assertEquals(0, search("user=carol@example.com&" + q("status")).size(), "the JSON keys are not searched");
        }

        @Test
        void badQueriesAndUnknownIdsAreRefusedClearly() throws Exception {
            assertEquals("q must have at least 3 characters", detail(ca.get("/v1/recordings?q=rm", auditor)));
            assertEquals("limit must be a whole number from 1 to 500", detail(ca.get("/v1/recordings?limit=0", auditor)));
            assertEquals(400, ca.get("/v1/recordings?since=yesterday", auditor).statusCode());
            assertEquals(404, ca.get("/v1/recordings/nope", auditor).statusCode());
            assertEquals(404, ca.get("/v1/recordings/nope/verify", auditor).statusCode());
        }
    }
}
