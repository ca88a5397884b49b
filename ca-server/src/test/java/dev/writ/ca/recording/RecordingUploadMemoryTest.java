package dev.writ.ca.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.ca.testing.Auditor;
import dev.writ.ca.testing.ChildCa;
import dev.writ.ca.testing.GeneratedCast;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording larger than the CA's whole heap goes through: a CA in a JVM of its own with
 * {@code -Xmx32m} (and {@code -XX:+ExitOnOutOfMemoryError}) takes a 32 MiB upload through the real
 * endpoint, indexes every line of it and verifies its digest. Holding the recording, or its lines
 * of text, in memory would not fit. ({@code ./dev bench recording-upload} does 512 MiB with {@code -Xmx256m}.)
 */
class RecordingUploadMemoryTest {

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
    static final long SIZE = 32L << 20;

    @TempDir
    Path dir;

    @Test
    void aRecordingLargerThanTheHeapIsStoredIndexedAndVerified() throws Exception {
        RecordingBastion bastion = RecordingBastion.generate("bastion-1");
        GeneratedCast cast = new GeneratedCast("s-big", SIZE, "sudo systemctl stop needle-7f3a");
        String sha256 = cast.sha256();
        try (TestIdp idp = new TestIdp();
             ChildCa ca = ChildCa.start(dir.resolve("ca"), "32m", idp.issuerUrl(), POLICY,
                     bastion.config() + "recording_max_bytes: " + 2 * SIZE + "\n")) {
            HttpResponse<String> stored = bastion.upload(ca.url(), "big-1", cast::open, cast.size(), sha256,
                    Duration.ofMinutes(5));

            assertEquals(201, stored.statusCode(), stored.body() + "\n" + ca.log());
            Auditor auditor = new Auditor(ca.url(), idp.idToken("hal@example.com", List.of("security")));
            JsonNode found = auditor.search("needle-7f3a");
            assertEquals(1, found.size(), found.toString());
            assertEquals("$ sudo systemctl stop needle-7f3a", found.get(0).get("hits").get(0).get("snippet").asText());
            JsonNode early = auditor.search("/api/v1/items/12345 ");
            assertEquals(1, early.size(), "a line from the middle is indexed too: " + early);
            JsonNode verified = auditor.verify("big-1");
            assertTrue(verified.get("ok").asBoolean(), verified.toString());
            assertEquals(sha256, verified.get("actual_sha256").asText());
            assertTrue(ca.alive(), "the CA is still running: " + ca.log());
        }
    }
}
