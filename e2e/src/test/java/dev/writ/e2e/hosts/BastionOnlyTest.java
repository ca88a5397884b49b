package dev.writ.e2e.hosts;

import static dev.writ.e2e.hosts.HostCli.writHost;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bastion is the only way in. Two real sshd targets are set up exactly as writ tells a host
 * to be: one by {@code writ host bootstrap} and the lines {@code writ host sshd-config} prints,
 * one by the README's one-line setup ({@code GET /v1/ca/user.pub} into {@code TrustedUserCAKeys}).
 * An engineer's certificate from {@code POST /v1/certs/user} does not open either of them; the
 * same engineer through the bastion gets in, with a session certificate signed by the session
 * CA. Only a CA whose config opts in to {@code direct_access} lets the engineer's certificate in
 * directly.
 */
class BastionOnlyTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOGIN = Sshd.currentUser();
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
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static RunningBastion bastion;
    /** Set up by writ host bootstrap and writ host sshd-config. */
    static Sshd bootstrapped;
    /** Set up by the README's one line. */
    static Sshd oneLine;
    static Engineer alice;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "*.example.com")));
        bootstrapped = bootstrapped(dir.resolve("web01"), "web01.example.com");
        oneLine = oneLine(dir.resolve("web02"), ca, "web02.example.com");
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: web01.example.com
                    address: 127.0.0.1:%d
                  - name: web02.example.com
                    address: 127.0.0.1:%d
                """.formatted(bootstrapped.port(), oneLine.port()), Clock.systemUTC(), SessionRecorder.NONE);
        alice = Engineer.login(dir.resolve("alice"), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable running : new AutoCloseable[] {bastion, bootstrapped, oneLine, ca, idp}) {
            try {
                if (running != null) {
                    running.close();
                }
            } catch (Exception ignored) {
                // stopping: the next one still stops
            }
        }
    }

    /** A machine joined with a one-time token, its sshd_config lines exactly those writ host sshd-config prints. */
    static Sshd bootstrapped(Path hostDir, String hostname) throws Exception {
        String admin = idp.idToken("root@example.com", List.of("writ-admins"));
        var created = ca.post("/v1/join-tokens", admin, JSON.writeValueAsString(Map.of("hostnames", List.of(hostname))));
        assertEquals(201, created.statusCode(), created.body());
        String token = JSON.readTree(created.body()).get("token").asText();
        HostCli.Run bootstrap = writHost("bootstrap", "--ca", ca.url(), "--token", token, "--hostname", hostname,
                "--dir", hostDir.toString());
        assertEquals(0, bootstrap.exit(), bootstrap.toString());
        HostCli.Run printed = writHost("sshd-config", "--ca", ca.url(), "--dir", hostDir.toString());
        assertEquals(0, printed.exit(), printed.toString());
        Path krl = hostDir.resolve("revoked_keys");
        Sshd.Builder sshd = Sshd.in(hostDir);
        for (String line : printed.out().lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("HostKey ")) { // the builder names the same key file already
                assertEquals("HostKey " + hostDir.resolve("ssh_host_ed25519_key"), line);
                continue;
            }
            if (line.startsWith("RevokedKeys ")) {
                krl = Path.of(line.substring("RevokedKeys ".length()));
            }
            sshd.option(line);
        }
        assertTrue(printed.out().contains("TrustedUserCAKeys "), printed.out());
        // as the printed comment says: sshd refuses every key while the KRL file is missing
        Processes.Result emptyKrl = Processes.run(List.of("ssh-keygen", "-k", "-f", krl.toString()));
        assertEquals(0, emptyKrl.exitCode(), emptyKrl.output());
        return sshd.start();
    }

    /** The README's host setup: curl -s CA/v1/ca/user.pub > writ_user_ca.pub; TrustedUserCAKeys writ_user_ca.pub. */
    static Sshd oneLine(Path hostDir, TestCa authority, String hostname) throws Exception {
        Files.createDirectories(hostDir);
        Path hostKey = Engineer.newKey(hostDir.resolve("ssh_host_ed25519_key"));
        Processes.Result signed = Processes.run(List.of("ssh-keygen", "-q", "-s", authority.keys().resolve("host_ca").toString(),
                "-h", "-I", "host " + hostname, "-n", hostname, "-V", "-5m:+1d", hostKey + ".pub"));
        assertEquals(0, signed.exitCode(), signed.output());
        var userPub = authority.get("/v1/ca/user.pub");
        assertEquals(200, userPub.statusCode());
        Path trusted = Files.writeString(hostDir.resolve("writ_user_ca.pub"), userPub.body());
        return Sshd.in(hostDir).option("TrustedUserCAKeys " + trusted).hostCertificate(Path.of(hostKey + "-cert.pub")).start();
    }

    /** The engineer's own key and certificate straight at a target, as if there were no bastion. */
    static Processes.Result direct(Engineer engineer, Sshd target) throws Exception {
        return Processes.run(List.of("ssh", "-F", "/dev/null", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-i", engineer.key().toString(), "-o", "CertificateFile=" + engineer.certificate(),
                "-p", Integer.toString(target.port()), LOGIN + "@127.0.0.1", "echo", "no-bastion-here"), 30);
    }

    /** The SHA256 fingerprint of one of the CA's public key files. */
    static String fingerprint(TestCa authority, String file) throws Exception {
        Processes.Result result = Processes.run(List.of("ssh-keygen", "-l", "-f", authority.keys().resolve(file).toString()));
        assertEquals(0, result.exitCode(), result.output());
        return result.output().split(" ")[1];
    }

    @Test
    void targetsSetUpAsWritSaysTrustTheSessionCaOnly() throws Exception {
        String session = Files.readString(ca.keys().resolve("session_ca.pub")).split(" writ")[0];
        String user = Files.readString(ca.keys().resolve("user_ca.pub")).split(" writ")[0];
        for (Path trusted : List.of(dir.resolve("web01/writ_user_ca.pub"), dir.resolve("web02/writ_user_ca.pub"))) {
            assertEquals(session + "\n", Files.readString(trusted), trusted.toString());
            assertFalse(Files.readString(trusted).contains(user.split(" ")[1]), trusted.toString());
        }
    }

    @Test
    void anEngineersCertificateDoesNotOpenATargetDirectly() throws Exception {
        for (Sshd target : List.of(bootstrapped, oneLine)) {
            int before = target.log().length();
            Processes.Result result = direct(alice, target);
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("Permission denied"), result.output());
            assertFalse(result.output().contains("no-bastion-here"), result.output());
            String log = target.log().substring(before);
            assertFalse(log.contains("Accepted"), log);
            // sshd saw the engineer's certificate and did not take it
            assertTrue(log.contains("Failed publickey for " + LOGIN + " from 127.0.0.1"), log);
            assertTrue(log.contains("ID alice@example.com (serial "), log);
        }
    }

    @Test
    void theSameEngineerGetsInThroughTheBastionWithASessionCertificate() throws Exception {
        String sessionCa = fingerprint(ca, "session_ca.pub");
        String userCa = fingerprint(ca, "user_ca.pub");
        List<Sshd> targets = List.of(bootstrapped, oneLine);
        List<String> names = List.of("web01.example.com", "web02.example.com");
        for (int i = 0; i < targets.size(); i++) {
            List<List<String>> both = List.of(alice.direct(bastion.port(), LOGIN, names.get(i)),
                    alice.jump(bastion.port(), LOGIN, names.get(i)));
            for (List<String> ssh : both) {
                List<String> command = new ArrayList<>(ssh);
                command.addAll(List.of("echo", "through-the-bastion"));
                Processes.Result result = Engineer.run(command, 30);
                assertEquals(0, result.exitCode(), command + "\n" + result.output() + targets.get(i).log());
                assertEquals("through-the-bastion\n", result.output());
            }
            String log = targets.get(i).log();
            assertTrue(log.contains("Accepted certificate ID \"alice@example.com via writ session "), log);
            assertTrue(log.contains("signed by ED25519 CA " + sessionCa), log);
            assertTrue(log.lines().filter(l -> l.contains("Accepted")).noneMatch(l -> l.contains(userCa)), log);
        }
    }

    @Test
    void aCaThatOptsInToDirectAccessLetsTheEngineersCertificateIn() throws Exception {
        try (TestIdp otherIdp = new TestIdp();
             TestCa direct = TestCa.start(dir.resolve("direct-ca"), otherIdp.issuerUrl(), POLICY, Clock.systemUTC(),
                     TestCa.DIRECT_ACCESS);
             Sshd target = oneLine(dir.resolve("direct-target"), direct, "web09.example.com")) {
            String trusted = direct.get("/v1/ca/user.pub").body();
            assertTrue(trusted.contains(Files.readString(direct.keys().resolve("session_ca.pub")).split(" ")[1]), trusted);
            assertTrue(trusted.contains(Files.readString(direct.keys().resolve("user_ca.pub")).split(" ")[1]), trusted);
            Engineer bob = Engineer.login(dir.resolve("bob"), direct,
                    otherIdp.idToken("bob@example.com", List.of("engineering")), "");
            Processes.Result result = direct(bob, target);
            assertEquals(0, result.exitCode(), result.output() + target.log());
            assertEquals("no-bastion-here\n", result.output());
            assertTrue(target.log().contains("Accepted certificate ID \"bob@example.com\""), target.log());
        }
    }
}
