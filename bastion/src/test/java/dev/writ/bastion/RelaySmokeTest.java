package dev.writ.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bastion in-process between the real OpenSSH client and the real sshd, both routing forms. */
class RelaySmokeTest {

    static final String LOGIN = Sshd.currentUser();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd web01;
    static RunningBastion bastion;
    static Engineer alice;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["%s"]
                    targets: [ { hosts: ["web*"] } ]
                    max_ttl: 8h
                    extensions: [permit-pty, permit-port-forwarding]
                """.formatted(LOGIN), Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*")));
        web01 = Target.start(dir.resolve("web01"), ca, "web01");
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: web01
                    address: 127.0.0.1:%d
                """.formatted(web01.port()));
        alice = Engineer.login(dir.resolve("alice"), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
    }

    @AfterAll
    static void stop() {
        if (bastion != null) {
            bastion.close();
        }
        if (web01 != null) {
            web01.close();
        }
        ca.close();
        idp.close();
    }

    @Test
    void execThroughTheBastionByUserName() throws Exception {
        Processes.Result result = Engineer.run(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01"), "echo hello; exit 3"), 30);
        assertEquals(3, result.exitCode(), result.output() + web01.log());
        assertTrue(result.output().contains("hello"), result.output());
        assertTrue(web01.log().contains("alice@example.com via writ session"), web01.log());
    }

    @Test
    void servesPrometheusMetricsOnItsOwnLoopbackPort() throws Exception {
        Engineer.run(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01"), "echo metrics"), 30);
        Engineer plain = Engineer.withCertificate(dir.resolve("plain"), ca, alice.key(), java.nio.file.Path.of(alice.key() + ".pub"));
        Engineer.run(Engineer.with(plain.direct(bastion.port(), LOGIN, "web01"), "true"), 30);
        Thread.sleep(500);
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + bastion.metricsPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        for (String metric : List.of("writ_bastion_sessions_active", "writ_bastion_relayed_bytes_total{direction=\"to_client\"}",
                "writ_bastion_upstream_connect_seconds_count", "writ_bastion_krl_age_seconds", "jvm_memory_used_bytes",
                "writ_bastion_logins_refused_total{reason=\"not_a_certificate\"}")) {
            assertTrue(response.body().contains(metric), metric + " missing from " + response.body());
        }
    }

    /**
     * Flow control: when the engineer stops reading, the bastion stops taking data from the
     * target once the channel windows are full (2 MiB each way), instead of buffering the rest.
     */
    @Test
    void holdsNoMoreThanTheWindowsWhenTheEngineerStopsReading() throws Exception {
        long size = 256L << 20;
        double before = relayedToClient();
        Process ssh = new ProcessBuilder(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01"), "head -c " + size + " /dev/zero"))
                .start();
        Thread.sleep(4_000); // nobody reads ssh's output meanwhile
        double taken = relayedToClient() - before;
        assertTrue(taken < 16 * 1024 * 1024, "the bastion took " + taken + " bytes from the target while nobody read");
        long read = ssh.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertTrue(ssh.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(size, read);
    }

    static double relayedToClient() throws Exception {
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + bastion.metricsPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith("writ_bastion_relayed_bytes_total{direction=\"to_client\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(0);
    }

    @Test
    void execThroughTheBastionByProxyJump() throws Exception {
        Processes.Result result = Engineer.run(Engineer.with(alice.jump(bastion.port(), LOGIN, "web01"), "echo hello"), 30);
        assertEquals(0, result.exitCode(), result.output() + web01.log());
        assertTrue(result.output().contains("hello"), result.output());
    }
}
