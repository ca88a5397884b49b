package dev.writ.e2e.hosts;

import static dev.writ.e2e.hosts.HostCli.writHost;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.ca.testing.CaKeysCli;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.e2e.AgentSsh;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user, session and host CA keys rotated one after the other (add, activate, retire) with
 * {@code writ-ca keys} while an engineer keeps logging in through the bastion with the real
 * {@code ssh} and {@code StrictHostKeyChecking yes}, and a real sshd target keeps its host
 * certificate and TrustedUserCAKeys current with {@code writ host renew}. Nothing restarts and no
 * login fails; after the user CA's old key is retired, a certificate it signed is refused.
 */
class CaKeyRotationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOGIN = Sshd.currentUser();
    static final String TARGET = "web01.example.com";
    /** The bastion's and the host's pickup time in this test: an operator waits this long between steps. */
    static final Duration PICKUP = Duration.ofMillis(2500);
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%s"]
                targets: [ { hosts: ["*.example.com"] } ]
                max_ttl: 1h
            hosts:
              - name: joined-machines
                match: { issuer: "writ:join-token" }
                hostnames: ["*.example.com"]
            admins:
              - match: { groups: [writ-admins] }
            """.formatted(LOGIN);

    @TempDir
    Path dir;
    TestIdp idp;
    TestCa ca;
    RunningBastion bastion;
    Sshd web01;
    Path hostDir;
    int logins;

    @BeforeEach
    void start() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "*.example.com"))
                        + "key_refresh_seconds: 1\n");
        hostDir = dir.resolve("web01");
        web01 = bootstrapped();
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), "  keys_refresh: 1s\n", """
                targets:
                  - name: %s
                    address: 127.0.0.1:%d
                """.formatted(TARGET, web01.port()));
    }

    @AfterEach
    void stop() {
        AgentSsh.closeAll(bastion, web01, ca, idp);
    }

    @Test
    void everyCaRotatesWhileEngineersKeepLoggingIn() throws Exception {
        Engineer first = login();
        connect(first);
        for (String kind : List.of("user", "session", "host")) {
            String old = signing(kind);

            // 1. add: published at once, learnt by the host, the bastion and the engineer's known_hosts
            CaKeysCli.Run added = keys("add", kind);
            String next = added.fingerprint();
            await(() -> published(kind).contains(next), kind + ": the next key is published");
            renewHost();
            Thread.sleep(PICKUP.toMillis());
            connect(login());
            assertEquals(old, signing(kind), kind + ": the next key does not sign yet");

            // 2. activate: it signs; the old one stays trusted, so what it signed still works
            keys("activate", kind, next);
            await(() -> next.equals(signing(kind)), kind + ": the next key signs");
            renewHost();
            Thread.sleep(PICKUP.toMillis());
            Engineer current = login();
            connect(current);
            // the older certificate still logs in (its known_hosts fetched again, as the agent does with writ ssh-config)
            first = Engineer.withCertificate(first.dir(), ca, first.key(), first.certificate());
            connect(first);

            // 3. retire: refused while what the old key signed is valid, then forced
            CaKeysCli.Run refused = CaKeysCli.run(ca.config(), "retire", kind, old);
            assertEquals(1, refused.exit(), refused.toString());
            assertTrue(refused.err().contains(" still valid and not revoked, the last until "), refused.err());
            keys("retire", kind, old, "--force");
            await(() -> !published(kind).contains(old), kind + ": the old key is no longer published");
            renewHost();
            Thread.sleep(PICKUP.toMillis());
            if (kind.equals("user")) {
                // the bastion no longer trusts the retired user CA key: the first certificate is refused
                awaitRefused(first);
                first = current;
            }
            connect(login());
            connect(first);
        }
        String log = web01.log();
        assertTrue(log.contains("signed by ED25519 CA"), log);
        assertEquals(3, JSON.readTree(ca.get("/v1/ca").body()).size());
        for (String kind : List.of("user", "session", "host")) {
            assertEquals(1, published(kind).size(), kind);
        }
    }

    /** A machine joined with a one-time token and set up with the lines writ host sshd-config prints. */
    Sshd bootstrapped() throws Exception {
        String admin = idp.idToken("root@example.com", List.of("writ-admins"));
        var created = ca.post("/v1/join-tokens", admin, JSON.writeValueAsString(Map.of("hostnames", List.of(TARGET))));
        assertEquals(201, created.statusCode(), created.body());
        HostCli.Run bootstrap = writHost("bootstrap", "--ca", ca.url(), "--token",
                JSON.readTree(created.body()).get("token").asText(), "--hostname", TARGET, "--dir", hostDir.toString());
        assertEquals(0, bootstrap.exit(), bootstrap.toString());
        HostCli.Run printed = writHost("sshd-config", "--ca", ca.url(), "--dir", hostDir.toString());
        assertEquals(0, printed.exit(), printed.toString());
        Sshd.Builder sshd = Sshd.in(hostDir);
        Path krl = hostDir.resolve("revoked_keys");
        for (String line : printed.out().lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("HostKey ")) {
                continue;
            }
            if (line.startsWith("RevokedKeys ")) {
                krl = Path.of(line.substring("RevokedKeys ".length()));
            }
            sshd.option(line);
        }
        Processes.Result emptyKrl = Processes.run(List.of("ssh-keygen", "-k", "-f", krl.toString()));
        assertEquals(0, emptyKrl.exitCode(), emptyKrl.output());
        return sshd.start();
    }

    /** What the host's timer does: writ host renew (TrustedUserCAKeys, and the certificate when due), then sshd reloads. */
    void renewHost() throws Exception {
        HostCli.Run renew = writHost("renew", "--dir", hostDir.toString());
        assertEquals(0, renew.exit(), renew.toString());
        if (renew.out().startsWith("renewed")) {
            web01.reload();
        }
    }

    /** A new certificate and the CA's current known_hosts, as the writ agent fetches them. */
    Engineer login() throws Exception {
        return Engineer.login(dir.resolve("engineer-" + ++logins), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
    }

    void connect(Engineer engineer) throws Exception {
        List<String> command = new ArrayList<>(engineer.jump(bastion.port(), LOGIN, TARGET));
        command.addAll(List.of("echo", "still-in"));
        Processes.Result result = Engineer.run(command, 30);
        assertEquals(0, result.exitCode(), command + "\n" + result.output() + "\n" + web01.log());
        assertEquals("still-in\n", result.output());
    }

    /** The bastion drops the retired key at its next refresh: from then on the certificate is refused. */
    void awaitRefused(Engineer engineer) throws Exception {
        List<String> command = new ArrayList<>(engineer.jump(bastion.port(), LOGIN, TARGET));
        command.addAll(List.of("echo", "still-in"));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Processes.Result result = Engineer.run(command, 30);
        while (result.exitCode() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            result = Engineer.run(command, 30);
        }
        assertNotEquals(0, result.exitCode(), "a certificate of the retired user CA key still logs in");
        assertTrue(result.output().contains("Permission denied"), result.output());
    }

    CaKeysCli.Run keys(String... args) {
        CaKeysCli.Run run = CaKeysCli.run(ca.config(), args);
        assertEquals(0, run.exit(), run.toString());
        return run;
    }

    List<String> published(String kind) throws Exception {
        List<String> fingerprints = new ArrayList<>();
        for (JsonNode key : JSON.readTree(ca.get("/v1/ca").body()).get(kind)) {
            fingerprints.add(PublicKeys.fingerprint(PublicKeys.parse(key.asText())));
        }
        return fingerprints;
    }

    String signing(String kind) throws Exception {
        return published(kind).get(0);
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void await(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(100);
        }
    }
}
