package dev.writ.ca.recording;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.Main;
import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.testing.Auditor;
import dev.writ.ca.testing.GeneratedCast;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.S3Server;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestCast;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Recordings in S3-compatible object storage, against a real S3 server (S3Proxy in its own JVM,
 * checking AWS signatures): uploads through the CA's real endpoint as a bastion makes them, then
 * search, download and verification through the API, from the CA that stored the recording and
 * from a second CA on the same bucket and database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3RecordingsTest {

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

    @TempDir
    static Path dir;
    TestIdp idp;
    S3Server s3;
    RecordingBastion bastion;
    String auditorToken;

    @BeforeAll
    void start() throws Exception {
        idp = new TestIdp();
        s3 = S3Server.start(dir.resolve("s3"));
        bastion = RecordingBastion.generate("bastion-1");
        auditorToken = idp.idToken("hal@example.com", List.of("security"));
    }

    @AfterAll
    void stop() {
        s3.close();
        idp.close();
    }

    /** The config lines of recordings in {@code bucket}, with the secret in a 0600 file in {@code caDir}. */
    String recordingsConfig(Path caDir, String bucket, String secret) throws Exception {
        Files.createDirectories(caDir);
        Path file = caDir.resolve("s3.secret");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, secret + "\n");
        return """
                recordings:
                  store: s3
                  endpoint: %s
                  bucket: %s
                  path_style: true
                  access_key_id: %s
                  secret_access_key_file: ./s3.secret
                  part_size_mib: 5
                recording_max_bytes: 67108864
                """.formatted(s3.url(), bucket, s3.accessKeyId());
    }

    TestCa startCa(Path caDir, String bucket) throws Exception {
        return TestCa.start(caDir, idp.issuerUrl(), POLICY, Clock.systemUTC(),
                bastion.config() + recordingsConfig(caDir, bucket, s3.secret()), GrantEndedListener.NONE);
    }

    List<S3Object> objects(String bucket) {
        try (S3Client client = s3.client()) {
            return client.listObjectsV2(r -> r.bucket(bucket)).contents();
        }
    }

    @Test
    void aRecordingStoredThroughOneCaIsSearchedDownloadedAndVerifiedThroughAnother() throws Exception {
        s3.createBucket("replicas");
        Path caDir = dir.resolve("replicas");
        byte[] body = TestCast.session("s-r1", "alice@example.com", "root", "web01.prod").output(0.5, "$ ")
                .output(1.25, "sudo cat /etc/shadow\r\n").output(2.0, "$ exit\r\n").bytes();
        String sha256 = RecordingBastion.sha256Hex(body);
        try (TestCa first = startCa(caDir, "replicas")) {
            HttpResponse<String> stored = bastion.upload(first.url(), "rec-1", body);
            assertEquals(201, stored.statusCode(), stored.body());
            List<S3Object> objects = objects("replicas");
            assertEquals(List.of(sha256.substring(0, 2) + "/rec-1." + sha256 + ".cast"),
                    objects.stream().map(S3Object::key).toList());
            assertEquals(body.length, objects.get(0).size());
            assertFalse(Files.exists(caDir.resolve("data/recordings")), "nothing on the CA's disk");

            // a second CA on the same database and bucket, beside the first
            try (TestCa second = startCa(caDir, "replicas")) {
                Auditor auditor = new Auditor(second.url(), auditorToken);
                JsonNode found = auditor.search("cat /etc/shadow");
                assertEquals(1, found.size(), found.toString());
                assertEquals("rec-1", found.get(0).get("id").asText());
                assertEquals(1.25, found.get(0).get("hits").get(0).get("offset").asDouble());
                HttpResponse<byte[]> download = auditor.download("rec-1");
                assertEquals(200, download.statusCode());
                assertArrayEquals(body, download.body(), "the player and export get the stored bytes");
                JsonNode verified = auditor.verify("rec-1");
                assertTrue(verified.get("ok").asBoolean(), verified.toString());
            }
        }
    }

    @Test
    void aRecordingLargerThanOnePartGoesUpInPartsAndARefusedOneLeavesNothing() throws Exception {
        s3.createBucket("parts");
        GeneratedCast cast = new GeneratedCast("s-parts", 12L << 20, "sudo systemctl stop needle-parts");
        String sha256 = cast.sha256();
        try (TestCa ca = startCa(dir.resolve("parts"), "parts")) {
            // signed for other bytes: refused, and its parts are not kept
            HttpResponse<String> refused = bastion.upload(ca.url(), "big-bad", cast::open, cast.size(),
                    "ab".repeat(32), Duration.ofMinutes(3));
            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(JSON.readTree(refused.body()).get("type").asText().endsWith("digest_mismatch"), refused.body());
            assertEquals(List.of(), objects("parts"));

            HttpResponse<String> stored = bastion.upload(ca.url(), "big-1", cast::open, cast.size(), sha256,
                    Duration.ofMinutes(3));
            assertEquals(201, stored.statusCode(), stored.body());

            String key = sha256.substring(0, 2) + "/big-1." + sha256 + ".cast";
            try (S3Client client = s3.client()) {
                HeadObjectResponse head = client.headObject(r -> r.bucket("parts").key(key));
                assertEquals(cast.size(), head.contentLength());
                assertTrue(head.eTag().endsWith("-3\""), "uploaded in three parts of 5 MiB: " + head.eTag());
            }
            Auditor auditor = new Auditor(ca.url(), auditorToken);
            assertEquals(1, auditor.search("needle-parts").size());
            assertTrue(auditor.verify("big-1").get("ok").asBoolean());
        }
    }

    @Test
    void aBucketTheCaCannotUseStopsItAtStartWithAClearError() throws Exception {
        s3.createBucket("guarded");
        Path caDir = dir.resolve("refused");
        String wrongSecret = "not-the-secret-" + System.nanoTime();

        Main.StartupException denied = assertThrows(Main.StartupException.class, () -> TestCa.start(caDir,
                idp.issuerUrl(), POLICY, Clock.systemUTC(), recordingsConfig(caDir, "guarded", wrongSecret),
                GrantEndedListener.NONE));
        assertEquals("cannot use the recordings bucket guarded at " + s3.url() + ": access denied (HTTP 403): check"
                + " the access key id and its secret, and that they may use the bucket", denied.getMessage());
        assertFalse(denied.getMessage().contains(wrongSecret));

        Main.StartupException missing = assertThrows(Main.StartupException.class, () -> TestCa.start(caDir,
                idp.issuerUrl(), POLICY, Clock.systemUTC(), recordingsConfig(caDir, "no-such-bucket", s3.secret()),
                GrantEndedListener.NONE));
        assertEquals("cannot use the recordings bucket no-such-bucket at " + s3.url() + ": no such bucket",
                missing.getMessage());

        String config = recordingsConfig(caDir, "guarded", s3.secret());
        Files.setPosixFilePermissions(caDir.resolve("s3.secret"), PosixFilePermissions.fromString("rw-r--r--"));
        Main.StartupException loose = assertThrows(Main.StartupException.class, () -> TestCa.start(caDir,
                idp.issuerUrl(), POLICY, Clock.systemUTC(), config, GrantEndedListener.NONE));
        assertTrue(loose.getMessage().contains("s3.secret has mode rw-r--r--; it holds a secret and must be readable"
                + " by its owner only"), loose.getMessage());
    }
}
