package dev.writ.e2e.bench;

import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestDatabase;
import dev.writ.ca.testing.TestIdp;
import dev.writ.ca.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/**
 * {@code POST /v1/certs/user} throughput and p99 with each store, in one run: SQLite; PostgreSQL
 * with one CA; PostgreSQL with two CA replicas (sharing their keys) on one database, half the
 * clients on each. The same 16 wrk connections in all three; PostgreSQL is the private cluster
 * of the tests ({@code TestPostgres}) on the same machine.
 */
final class IssuanceAcrossStores {

    private static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
                extensions: [permit-pty]
            """;

    private record Result(String store, double perSecond, String p50, String p99, long errors, long timeouts) {
    }

    private IssuanceAcrossStores() {
    }

    static void run(int seconds) throws Exception {
        // PostgreSQL commits durably here (fsync, synchronous commit), as SQLite does (synchronous=FULL)
        System.setProperty(TestPostgres.DURABLE_PROPERTY, "true");
        Path dir = Files.createTempDirectory("writ-bench-stores");
        List<Result> results = new ArrayList<>();
        try (TestIdp idp = new TestIdp()) {
            List<String> tokens = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < IssuanceBenchmark.CLIENTS; i++) {
                tokens.add(idp.idToken("user" + i + "@example.com", List.of("engineering")));
                KeyPair key = KeyUtils.generateKeyPair("ssh-ed25519", 256);
                bodies.add("{\"public_key\":\"" + PublicKeyEntry.toString(key.getPublic()) + "\"}");
            }
            Path script = IssuanceBenchmark.writeWrkScript(dir, tokens, bodies);
            for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
                int replicas = kind == TestDatabase.Kind.SQLITE ? 1 : 2;
                for (int n = 1; n <= replicas; n++) {
                    results.add(measure(kind, n, dir.resolve(kind + "-" + n), idp, script, seconds));
                }
            }
        }
        System.out.printf("%n| store | certificates/s | p50 | p99 | errors | over 2 s (wrk's timeout) |%n"
                + "|---|---|---|---|---|---|%n");
        for (Result r : results) {
            System.out.printf("| %s | %.0f | %s | %s | %d | %d |%n", r.store, r.perSecond, r.p50, r.p99, r.errors,
                    r.timeouts);
        }
    }

    private static Result measure(TestDatabase.Kind kind, int replicas, Path dir, TestIdp idp, Path script, int seconds)
            throws Exception {
        String name = kind == TestDatabase.Kind.SQLITE ? "SQLite" : "PostgreSQL, " + replicas + " replica" + (replicas > 1 ? "s" : "");
        List<TestCa> cas = new ArrayList<>();
        TestDatabase database = kind.create(dir.resolve("data"));
        try {
            for (int n = 0; n < replicas; n++) {
                Path caDir = dir.resolve("ca-" + n);
                if (n > 0) { // the replicas share the first one's CA keys
                    copyKeys(dir.resolve("ca-0/data/keys"), caDir.resolve("data/keys"));
                }
                cas.add(TestCa.startOn(database, caDir, idp.issuerUrl(), POLICY, Clock.systemUTC(), TestCa.NO_RATE_LIMITS,
                        GrantEndedListener.NONE));
            }
            int connections = IssuanceBenchmark.CLIENTS / replicas;
            System.out.printf("%s: warm-up 5 s, then %d s with %d connections to each of %d CA(s)%n", name, seconds,
                    connections, replicas);
            run(cas, script, 5, connections);
            List<String> reports = run(cas, script, seconds, connections);
            reports.forEach(System.out::println);
            double rate = 0;
            long errors = 0;
            long timeouts = 0;
            String p50 = "";
            String p99 = "";
            double worst99 = -1;
            for (String report : reports) {
                rate += Double.parseDouble(find(report, "Requests/sec:\\s+([0-9.]+)"));
                Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(report);
                errors += non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0;
                Matcher timeout = Pattern.compile("timeout (\\d+)").matcher(report); // only when there were any
                timeouts += timeout.find() ? Long.parseLong(timeout.group(1)) : 0;
                String this99 = find(report, "\\n\\s+99%\\s+(\\S+)");
                if (millis(this99) > worst99) {
                    worst99 = millis(this99);
                    p99 = this99;
                    p50 = find(report, "\\n\\s+50%\\s+(\\S+)");
                }
            }
            return new Result(name, rate, p50, p99, errors, timeouts);
        } finally {
            cas.forEach(TestCa::close); // the CAs stop before their database goes
            database.close();
        }
    }

    private static List<String> run(List<TestCa> cas, Path script, int seconds, int connections) throws Exception {
        List<Callable<String>> running = new ArrayList<>();
        for (TestCa ca : cas) {
            running.add(IssuanceBenchmark.wrk(script, ca.url() + "/v1/certs/user", seconds, connections));
        }
        List<String> reports = new ArrayList<>();
        for (Callable<String> wrk : running) {
            reports.add(wrk.call());
        }
        return reports;
    }

    private static void copyKeys(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("wrk's report has no " + regex + ": " + text);
        }
        return m.group(1);
    }

    /** wrk's latency ("812.00us", "4.41ms", "1.02s") in milliseconds. */
    private static double millis(String latency) {
        double value = Double.parseDouble(latency.replaceAll("[a-z]+$", ""));
        return latency.endsWith("us") ? value / 1000 : latency.endsWith("ms") ? value : value * 1000;
    }
}
