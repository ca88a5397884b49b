package dev.writ.ca.bench;

import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestDatabase;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Search latency over 10,000 stored recordings: generates sessions of 20 to 150 lines of shell
 * output (50 engineers, 200 targets, commands of varying rarity), uploads them through
 * {@code PUT /v1/recordings/{id}} as a bastion would (signed, 4 at a time), then times
 * {@code GET /v1/recordings?...} one request at a time as a reviewer would, per kind of query.
 *
 * <p>{@code java -cp ... dev.writ.ca.bench.RecordingSearchBenchmark [recordings] [rounds]}; see the
 * README (Recordings, Figures) for the whole command.
 */
public final class RecordingSearchBenchmark {

    private static final String POLICY = """
            auditors:
              - match: { groups: [security] }
            """;
    private static final String[] NOISE = {
        "ls -la /var/log", "total 48", "drwxr-xr-x  2 root root 4096 Nov 21 08:00 nginx", "-rw-r----- 1 syslog adm 18231 syslog",
        "tail -n 20 /var/log/syslog", "Nov 21 08:00:01 web CRON[1234]: (root) CMD (run-parts /etc/cron.hourly)",
        "df -h", "Filesystem      Size  Used Avail Use% Mounted on", "/dev/nvme0n1p1   97G   41G   52G  44% /",
        "uptime", " 08:00:01 up 41 days,  3:12,  1 user,  load average: 0.31, 0.27, 0.22", "cd /srv/app", "git log --oneline -3",
        "3f2a1c9 Fix the retry of webhook deliveries", "ps aux | grep java", "free -m", "Mem:  15893  6112  2212  311  7568  9120",
        "journalctl -u app --since -1h | tail", "docker ps", "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS", "exit"};

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        // sqlite (default) or postgresql: a private cluster of Debian's PostgreSQL (TestPostgres)
        TestDatabase.Kind kind = args.length > 2 ? TestDatabase.Kind.valueOf(args[2].toUpperCase()) : TestDatabase.Kind.SQLITE;
        // one line per stored recording is right for a CA, not for this table
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.writ")).setLevel(ch.qos.logback.classic.Level.WARN);
        System.out.printf("machine: %d cores, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.name"));
        Path dir = Files.createTempDirectory("writ-recording-bench");
        RecordingBastion bastion = RecordingBastion.generate("bastion-1");
        System.out.println("store: " + kind.name().toLowerCase());
        try (TestIdp idp = new TestIdp();
             TestDatabase database = kind.create(dir.resolve("data"));
             TestCa ca = TestCa.startOn(database, dir, idp.issuerUrl(), POLICY, Clock.systemUTC(), bastion.config(),
                     GrantEndedListener.NONE)) {
            upload(ca, bastion, count);
            report(database);
            String auditor = idp.idToken("hal@example.com", List.of("security"));
            Map<String, String> queries = new LinkedHashMap<>();
            queries.put("rare text (1% of recordings): q=rm -rf /", "q=" + enc("rm -rf /"));
            queries.put("uncommon text (10%): q=systemctl restart nginx", "q=" + enc("systemctl restart nginx"));
            queries.put("common text (every recording): q=load average", "q=" + enc("load average"));
            queries.put("text absent from all: q=no-such-command", "q=" + enc("no-such-command"));
            queries.put("common text, one engineer: q=load average&user=", "q=" + enc("load average") + "&user=eng7@example.com");
            queries.put("rare text, targets web*: q=rm -rf /&target=web*", "q=" + enc("rm -rf /") + "&target=web*");
            queries.put("filters only: user=&since=", "user=eng7@example.com&since=2026-01-01T00:00:00Z");
            HttpClient http = HttpClient.newHttpClient();
            System.out.printf("%n%-58s %8s %8s %8s %8s%n", "GET /v1/recordings?... (limit 50, sequential)", "results", "p50 ms", "p95 ms", "max ms");
            for (Map.Entry<String, String> query : queries.entrySet()) {
                time(http, ca.url() + "/v1/recordings?" + query.getValue(), auditor, query.getKey(), rounds);
            }
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void upload(TestCa ca, RecordingBastion bastion, int count) throws Exception {
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = i;
            results.add(pool.submit(() -> bastion.upload(ca.url(), "rec-" + n, session(n)).statusCode()));
        }
        for (Future<Integer> result : results) {
            if (result.get() != 201) {
                throw new IllegalStateException("upload answered " + result.get());
            }
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("uploaded %d recordings in %.1f s (%.0f/s, 4 concurrent uploads, each signed and verified)%n",
                count, seconds, count / seconds);
    }

    /** Session n: a prompt and 20 to 150 lines of output; some sessions run rarer commands. */
    static byte[] session(int n) {
        Random random = new Random(n);
        TestCast cast = TestCast.session("s-" + n, "eng" + (n % 50) + "@example.com", "root",
                (n % 3 == 0 ? "db" : "web") + (n % 200) + ".prod").startedAt(1_790_000_000L + n * 600L);
        double t = 0.2;
        int lines = 20 + random.nextInt(131);
        for (int i = 0; i < lines; i++) {
            t += random.nextDouble() * 3;
            String line = NOISE[random.nextInt(NOISE.length)];
            if (i == lines / 2 && n % 100 == 7) {
                line = "sudo rm -rf /var/lib/app/cache";
            } else if (i == lines / 3 && n % 10 == 3) {
                line = "sudo systemctl restart nginx";
            } else if (i == 1) {
                line = " 08:00:01 up 41 days,  3:12,  1 user,  load average: 0.31, 0.27, 0.22";
            }
            cast.output(t, "\u001b[1;32meng@host\u001b[0m:~$ " + line + "\r\n");
        }
        return cast.bytes();
    }

    private static void report(TestDatabase database) throws Exception {
        long bytes = database.kind() == TestDatabase.Kind.POSTGRESQL
                ? database.count("SELECT pg_database_size(current_database())")
                : database.count("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
        System.out.printf("index: %d recordings, %d lines of text; database %.0f MB%n",
                database.count("SELECT count(*) FROM recordings"), database.count("SELECT count(*) FROM recording_text"),
                bytes / 1e6);
    }

    private static void time(HttpClient http, String url, String token, String label, int rounds) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).build();
        int results = 0;
        for (int i = 0; i < 20; i++) { // warm-up
            results = count(http.send(request, HttpResponse.BodyHandlers.ofString()));
        }
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            nanos[i] = System.nanoTime() - start;
            if (response.statusCode() != 200) {
                throw new IllegalStateException(label + ": HTTP " + response.statusCode() + " " + response.body());
            }
        }
        Arrays.sort(nanos);
        System.out.printf("%-58s %8d %8.1f %8.1f %8.1f%n", label, results, nanos[rounds / 2] / 1e6,
                nanos[(int) Math.ceil(rounds * 0.95) - 1] / 1e6, nanos[rounds - 1] / 1e6);
    }

    private static int count(HttpResponse<String> response) {
        int n = 0;
        for (int at = response.body().indexOf("\"session_id\""); at >= 0; at = response.body().indexOf("\"session_id\"", at + 1)) {
            n++;
        }
        return n;
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
