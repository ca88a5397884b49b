package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ configure --ca A --ca B} against two real CA replicas on one database: with A
 * stopped the CLI carries on at B; with both stopped it says so in one line and exits 10
 * within its bound.
 */
class CaReplicasTest {

    @TempDir
    Path dir;
    MockIdp idp;
    TestCa a;
    TestCa b;

    @BeforeEach
    void start() throws Exception {
        idp = MockIdp.alice();
        a = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS);
        b = TestCa.replica(dir.resolve("ca"), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        idp.close();
    }

    @Test
    void carriesOnAtTheOtherReplicaAndSaysSoWhenBothAreGone() throws Exception {
        String dead;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            dead = "http://127.0.0.1:" + probe.getLocalPort();
        }
        TestEnv env = TestEnv.in(dir.resolve("home")).browser(HttpBrowser.following());
        Result configured = env.run("configure", "--ca", dead, "--ca", a.url(), "--ca", b.url());
        assertEquals(0, configured.exit(), configured.toString());
        assertTrue(configured.out().contains("CA replicas        " + a.url() + ", " + b.url()), configured.out());
        assertEquals(a.url(), new ObjectMapper().readTree(env.configDir().resolve("config.json").toFile())
                .get("ca_replicas").get(0).asText());
        Result login = env.run("login");
        assertEquals(0, login.exit(), login.toString());
        assertEquals(0, env.run("requests").exit());

        a.close();
        a = null;
        Result atB = env.run("requests");
        assertEquals(0, atB.exit(), "answered by the replica still up: " + atB);

        b.close();
        b = null;
        long started = System.nanoTime();
        Result none = env.run("requests");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertEquals(Exit.CA_UNREACHABLE.code(), none.exit(), none.toString());
        assertTrue(none.err().startsWith("writ: cannot reach the CA at " + dead + ", "), none.err());
        assertTrue(none.err().endsWith(": connection refused\n") && none.err().lines().count() == 1, none.err());
        assertTrue(took.compareTo(Http.REQUEST_TIMEOUT) < 0, "took " + took);
    }
}
