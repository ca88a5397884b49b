package dev.writ.agent.bench;

import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.Programs;
import dev.writ.agent.testing.TestEnv;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Time from starting {@code ssh ... true} to its end (connected, authenticated, command run)
 * through writ's agent against the real sshd, three ways in one run, interleaved round by round
 * so that the machine's load hits them alike:
 * <ol>
 *   <li>cached: the agent already holds a certificate;</li>
 *   <li>on demand: the certificate is forgotten before the run, so ssh's identity request makes
 *       the agent generate a key and get a certificate from the CA (the stored ID token is valid);</li>
 *   <li>on demand with refresh: as 2, and the stored ID token has expired, so the agent first
 *       refreshes it at the identity provider.</li>
 * </ol>
 * Run with: {@code java -cp ... dev.writ.agent.bench.AgentLoginBenchmark [runs]} (agent/README.md).
 */
public final class AgentLoginBenchmark {

    /** The signature part of the stand-in for an expired ID token (never verified: the agent only reads exp). */
    private static final String EXPIRED_SIGNATURE = ".c2lnbmF0dXJl";

    private AgentLoginBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path dir = Files.createTempDirectory("writ-agent-bench");
        try (MockIdp idp = MockIdp.alice();
             TestCa ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS, java.time.Clock.systemUTC(),
                     TestCa.DIRECT_ACCESS + TestCa.NO_RATE_LIMITS);
             Sshd sshd = Sshd.in(dir.resolve("sshd")).trustedUserCaKeys(ca.get("/v1/ca/user.pub").body()).start()) {
            TestEnv env = TestEnv.in(dir.resolve("user")).browser(HttpBrowser.following());
            check(env.run("configure", "--ca", ca.url()));
            check(env.run("login"));
            try (RunningAgent agent = env.startAgent(null)) {
                List<Long> cached = new ArrayList<>();
                List<Long> onDemand = new ArrayList<>();
                List<Long> withRefresh = new ArrayList<>();
                long warmUpFetches = 0;
                for (int round = -3; round < runs; round++) { // three rounds of warm-up
                    if (round == 0) {
                        warmUpFetches = fetchTimes(env).size();
                    }
                    long a = time(env, sshd);
                    agent.identity().forget();
                    long b = time(env, sshd);
                    agent.identity().forget();
                    expireIdToken(env, idp.issuerUrl());
                    long c = time(env, sshd);
                    if (Files.readString(env.tokenFile()).contains(EXPIRED_SIGNATURE)) {
                        throw new IllegalStateException("the agent did not refresh the expired ID token");
                    }
                    if (round >= 0) {
                        cached.add(a);
                        onDemand.add(b);
                        withRefresh.add(c);
                    }
                }
                System.out.printf("ssh start to authenticated through writ agent (ssh ... true to completion), %d runs each%n", runs);
                report("cached certificate", cached);
                report("on-demand fetch", onDemand);
                report("on-demand fetch + ID token refresh", withRefresh);
                System.out.printf("on-demand fetch adds %.1f ms (median); with an ID token refresh %.1f ms%n",
                        (median(onDemand) - median(cached)) / 1e6, (median(withRefresh) - median(cached)) / 1e6);
                // the agent logs how long each fetch took: per round a plain one, then one with a refresh
                List<Long> fetches = fetchTimes(env).stream().skip(warmUpFetches).toList();
                System.out.println("inside the agent, from ssh's identity request to the certificate in hand:");
                report("key + certificate", evenOrOdd(fetches, 0));
                report("ID token refresh + key + certificate", evenOrOdd(fetches, 1));
            }
        }
    }

    /** One {@code ssh true}, in nanoseconds; it must succeed. */
    private static long time(TestEnv env, Sshd sshd) throws Exception {
        List<String> command = Programs.sshCommand(env.agentSocket(), sshd.port(), Policies.LOGIN, "true");
        long started = System.nanoTime();
        Processes.Result result = Programs.run(Map.of("SSH_AUTH_SOCK", env.agentSocket().toString()), command);
        long elapsed = System.nanoTime() - started;
        if (result.exitCode() != 0) {
            throw new IllegalStateException("ssh failed: " + result.output() + env.agentLog());
        }
        return elapsed;
    }

    /** Replaces the stored ID token with one that expired, same issuer and subject: the next fetch must refresh. */
    private static void expireIdToken(TestEnv env, String issuer) throws Exception {
        Path file = env.tokenFile();
        String json = Files.readString(file);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String expired = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"iss\":\"" + issuer + "\",\"sub\":\"alice\",\"aud\":\"writ\",\"iat\":1,\"exp\":2}")
                .getBytes(StandardCharsets.UTF_8)) + EXPIRED_SIGNATURE;
        Files.writeString(file, json.replaceFirst("\"id_token\"\\s*:\\s*\"[^\"]+\"", "\"id_token\" : \"" + expired + "\""));
    }

    /** The fetch times the agent logged, in nanoseconds. */
    private static List<Long> fetchTimes(TestEnv env) {
        return env.agentLog().lines().filter(line -> line.contains("(fetched in "))
                .map(line -> Long.parseLong(line.replaceAll(".*\\(fetched in (\\d+) ms\\)$", "$1")) * 1_000_000)
                .toList();
    }

    private static List<Long> evenOrOdd(List<Long> values, int parity) {
        List<Long> picked = new ArrayList<>();
        for (int i = parity; i < values.size(); i += 2) {
            picked.add(values.get(i));
        }
        return picked;
    }

    private static void check(TestEnv.Result result) {
        if (result.exit() != 0) {
            throw new IllegalStateException(result.toString());
        }
    }

    private static double median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    private static void report(String name, List<Long> values) {
        System.out.printf("  %-37s median %7.1f ms   min %7.1f ms   max %7.1f ms%n", name, median(values) / 1e6,
                values.stream().min(Comparator.naturalOrder()).orElseThrow() / 1e6,
                values.stream().max(Comparator.naturalOrder()).orElseThrow() / 1e6);
    }
}
