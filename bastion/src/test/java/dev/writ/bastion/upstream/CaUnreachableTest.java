package dev.writ.bastion.upstream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A login through the bastion (the real OpenSSH client, the real sshd behind) while the CA is
 * down tells the engineer so in plain words: not "refused", no Java class name. First the CA is
 * stopped (connections refused), then its port is held by a socket that never answers (a hung
 * CA), which the bastion gives up on within its bound.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaUnreachableTest {

    static final String LOGIN = Sshd.currentUser();
    static final String WORDS = "writ: the CA is unreachable; try again shortly";

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd web01;
    static RunningBastion bastion;
    static Engineer alice;
    static boolean caStopped;
    static int caPort;
    static ServerSocket silent;
    static final List<Socket> held = new ArrayList<>();

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
                    extensions: [permit-pty]
                """.formatted(LOGIN), Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*")));
        caPort = URI.create(ca.url()).getPort();
        web01 = Target.start(dir.resolve("web01"), ca, "web01");
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: web01
                    address: 127.0.0.1:%d
                """.formatted(web01.port()));
        alice = Engineer.login(dir.resolve("alice"), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
        Processes.Result before = Engineer.run(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01"), "echo up"), 30);
        assertTrue(before.output().contains("up"), "the stack does not work with the CA up: " + before.output());
    }

    @AfterAll
    static void stop() throws Exception {
        if (silent != null) {
            silent.close();
        }
        for (Socket socket : held) {
            socket.close();
        }
        if (bastion != null) {
            bastion.close();
        }
        if (web01 != null) {
            web01.close();
        }
        if (!caStopped) {
            ca.close();
        }
        idp.close();
    }

    @Test
    @Order(1)
    void aStoppedCaIsUnreachableNotARefusal() throws Exception {
        ca.close();
        caStopped = true;
        Processes.Result result = Engineer.run(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01",
                "-o", "LogLevel=INFO"), "echo should-not-run"), 30);
        assertTrue(result.output().contains(WORDS), result.output());
        assertFalse(result.output().contains("refused a session certificate"), result.output());
        assertFalse(result.output().contains("Exception"), result.output());
        assertFalse(result.output().contains("should-not-run"), result.output());
    }

    @Test
    @Order(2)
    void aHungCaIsGivenUpOnWithinTheBound() throws Exception {
        int port = caPort;
        silent = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1")); // accepts, never answers
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket socket = silent.accept();
                    synchronized (held) {
                        held.add(socket);
                    }
                }
            } catch (Exception closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();

        long started = System.nanoTime();
        Processes.Result result = Engineer.run(Engineer.with(alice.direct(bastion.port(), LOGIN, "web01",
                "-o", "LogLevel=INFO"), "echo should-not-run"), 40);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(result.output().contains(WORDS), result.output());
        assertFalse(result.output().contains("Exception"), result.output());
        assertTrue(took.compareTo(CaClient.TIMEOUT.plusSeconds(8)) < 0, "took " + took);
        synchronized (held) {
            assertFalse(held.isEmpty(), "the bastion never called the hung CA");
        }
    }
}
