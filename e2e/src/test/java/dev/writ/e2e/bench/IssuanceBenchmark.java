package dev.writ.e2e.bench;

import dev.writ.ca.config.CaConfig.KeyType;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.sign.CertificateRequest;
import dev.writ.ca.sign.OpenSshCertificateSigner;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.Security;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Certificate issuance over HTTP: token verification, policy, signing and the durable audit
 * record, with 16 concurrent clients; beside it, in the same run, the raw Ed25519 signing rate
 * (the ceiling) and the rate of MINA building and signing certificates without HTTP or store.
 *
 * <p>Run with {@code ./dev bench issuance [seconds]}; {@code ./dev bench issuance SECONDS --stores}
 * compares the stores instead ({@link IssuanceAcrossStores}). Everything runs on loopback in one JVM:
 * the OIDC issuer (only for the tokens, fetched before measuring), the CA and the clients.
 */
public final class IssuanceBenchmark {

    static final int CLIENTS = 16;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Security.addProvider(new BouncyCastleProvider());
        if (args.length > 1 && args[1].equals("--stores")) {
            IssuanceAcrossStores.run(seconds);
            return;
        }
        System.out.printf("machine: %d cores, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.name"));

        double raw1 = rawEd25519PerSecond(1, 3);
        double raw2 = rawEd25519PerSecond(2, 3);
        System.out.printf("raw Ed25519 signatures (Bouncy Castle): %.0f/s on 1 thread, %.0f/s on 2 threads%n", raw1, raw2);
        System.out.printf("MINA certificate build+sign, no HTTP, no store: %.0f/s on 1 thread%n", minaCertificatesPerSecond(3));

        Path dir = Files.createTempDirectory("writ-bench");
        try (TestIdp idp = new TestIdp();
             // the limits would refuse most of the load after the first minute: measured without them
             TestCa ca = TestCa.start(dir, idp.issuerUrl(), """
                     roles:
                       - name: engineer
                         match: { groups: [engineering] }
                         principals: ["{{email.local}}"]
                         max_ttl: 8h
                         extensions: [permit-pty]
                     """, java.time.Clock.systemUTC(), TestCa.NO_RATE_LIMITS)) {
            List<String> tokens = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                tokens.add(idp.idToken("user" + i + "@example.com", List.of("engineering")));
                KeyPair key = KeyUtils.generateKeyPair("ssh-ed25519", 256);
                bodies.add("{\"public_key\":\"" + PublicKeyEntry.toString(key.getPublic()) + "\"}");
            }
            Path script = writeWrkScript(dir, tokens, bodies);
            String target = ca.url() + "/v1/certs/user";
            System.out.printf("warm-up: 5 s with %d connections%n", CLIENTS);
            wrk(script, target, 5);
            System.out.printf("measuring: %d s with %d connections (each answer waits for its durable audit record)%n",
                    seconds, CLIENTS);
            System.out.println(wrk(script, target, seconds));
        }
    }

    /** A wrk script that rotates the clients' tokens and keys over the requests. */
    static Path writeWrkScript(Path dir, List<String> tokens, List<String> bodies) throws Exception {
        StringBuilder lua = new StringBuilder("tokens = {");
        tokens.forEach(token -> lua.append('"').append(token).append("\",\n"));
        lua.append("}\nbodies = {");
        bodies.forEach(body -> lua.append("[[").append(body).append("]],\n"));
        lua.append("""
                }
                counter = 0
                request = function()
                  counter = counter + 1
                  local i = (counter % #tokens) + 1
                  return wrk.format("POST", nil, {["Authorization"] = "Bearer " .. tokens[i],
                                                  ["Content-Type"] = "application/json"}, bodies[i])
                end
                """);
        return Files.writeString(dir.resolve("issuance.lua"), lua);
    }

    /** Runs wrk (C, light on the CPU the CA also needs) with one connection per client. */
    static String wrk(Path script, String url, int seconds) throws Exception {
        return wrk(script, url, seconds, CLIENTS).call();
    }

    /** Starts wrk with {@code connections}; the answer is its report once it has finished. */
    static java.util.concurrent.Callable<String> wrk(Path script, String url, int seconds, int connections) throws Exception {
        Process wrk = new ProcessBuilder("wrk", "--latency", "-t", "2", "-c", Integer.toString(connections),
                "-d", seconds + "s", "-s", script.toString(), url).redirectErrorStream(true).start();
        return () -> {
            String output = new String(wrk.getInputStream().readAllBytes());
            if (wrk.waitFor() != 0) {
                throw new IllegalStateException("wrk failed: " + output);
            }
            return output;
        };
    }

    private static double rawEd25519PerSecond(int threads, int seconds) throws InterruptedException {
        AtomicLong total = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());
                byte[] message = new byte[400]; // about the size of a user certificate's signed part
                Ed25519Signer signer = new Ed25519Signer();
                long n = 0;
                while (System.nanoTime() < end) {
                    signer.init(true, key);
                    signer.update(message, 0, message.length);
                    signer.generateSignature();
                    n++;
                }
                total.addAndGet(n);
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return total.get() / (double) seconds;
    }

    private static double minaCertificatesPerSecond(int seconds) throws Exception {
        Path keysDir = Files.createTempDirectory("writ-bench-keys");
        OpenSshCertificateSigner signer = new OpenSshCertificateSigner(CaKeyRing.loadOrCreate(keysDir, KeyType.ed25519, null));
        KeyPair user = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Instant now = Instant.now();
        TreeMap<String, String> extensions = new TreeMap<>();
        extensions.put("permit-pty", "");
        extensions.put("roles@writ", "engineer");
        long n = 0;
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
            signer.sign(new CertificateRequest(CertificateRequest.Kind.USER, n + 1, user.getPublic(), "user@example.com",
                    List.of("user"), now.minusSeconds(60), now.plusSeconds(3600), new TreeMap<>(), extensions));
            n++;
        }
        return n / (double) seconds;
    }

}
