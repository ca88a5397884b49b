package dev.writ.ca.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.ca.testing.Auditor;
import dev.writ.ca.testing.ChildCa;
import dev.writ.ca.testing.GeneratedCast;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.S3Server;
import dev.writ.ca.testing.TestIdp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./dev bench recording-upload [MIB] [HEAP] [local|s3]}: one recording of MIB MiB (default
 * 512) uploaded through {@code PUT /v1/recordings/{id}} as a bastion makes it, to a CA in a JVM of
 * its own with {@code -Xmx HEAP} (default 256m), recordings in a local directory or in S3Proxy;
 * then the CA must find its last command, find a line from its middle, and verify its digest.
 * Prints the time and the CA's peak resident memory.
 */
public final class RecordingUploadBenchmark {

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

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 512;
        String heap = args.length > 1 ? args[1] : "256m";
        boolean s3 = args.length > 2 && args[2].equals("s3");
        Path dir = Files.createTempDirectory("writ-upload-bench");
        GeneratedCast cast = new GeneratedCast("s-bench", mib << 20, "sudo systemctl stop needle-bench");
        String sha256 = cast.sha256();
        RecordingBastion bastion = RecordingBastion.generate("bastion-1");
        S3Server server = s3 ? S3Server.start(dir.resolve("s3")) : null;
        try (TestIdp idp = new TestIdp()) {
            String recordings = "";
            if (server != null) {
                server.createBucket("bench");
                Files.createDirectories(dir.resolve("ca"));
                Path secret = Files.createFile(dir.resolve("ca/s3.secret"),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(secret, server.secret());
                recordings = """
                        recordings:
                          store: s3
                          endpoint: %s
                          bucket: bench
                          path_style: true
                          access_key_id: %s
                          secret_access_key_file: ./s3.secret
                        """.formatted(server.url(), server.accessKeyId());
            }
            try (ChildCa ca = ChildCa.start(dir.resolve("ca"), heap, idp.issuerUrl(), POLICY,
                    bastion.config() + recordings + "recording_max_bytes: " + (2 * cast.size()) + "\n")) {
                long start = System.nanoTime();
                HttpResponse<String> stored = bastion.upload(ca.url(), "bench-1", cast::open, cast.size(), sha256,
                        Duration.ofMinutes(60));
                double seconds = (System.nanoTime() - start) / 1e9;
                if (stored.statusCode() != 201) {
                    throw new AssertionError("upload answered " + stored.statusCode() + ": " + stored.body());
                }
                Auditor auditor = new Auditor(ca.url(), idp.idToken("hal@example.com", List.of("security")));
                JsonNode last = auditor.search("needle-bench");
                JsonNode middle = auditor.search("/api/v1/items/" + (cast.size() / 2 / 700) + " ");
                long verifyStart = System.nanoTime();
                JsonNode verified = auditor.verify("bench-1");
                double verifySeconds = (System.nanoTime() - verifyStart) / 1e9;
                boolean ok = last.size() == 1 && middle.size() == 1 && verified.get("ok").asBoolean();
                System.out.printf(Locale.ROOT, "## writ recording upload%n%n| recording | CA heap | storage | upload,"
                                + " indexed and stored | verify | CA peak RSS | found and verified |%n"
                                + "|---|---|---|---|---|---|---|%n| %d MiB | -Xmx%s | %s | %.1f s (%.1f MiB/s) | %.1f s"
                                + " | %d MiB | %s |%n",
                        mib, heap, s3 ? "S3 (S3Proxy)" : "local directory", seconds, mib / seconds,
                        verifySeconds, ca.peakResidentMib(), ok ? "yes" : "NO");
                if (!ok) {
                    throw new AssertionError("not found or not verified: " + last + " " + middle + " " + verified);
                }
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
