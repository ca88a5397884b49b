package dev.writ.bastion.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.testing.RunningBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.api.BastionSync;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bastion's CA client with two real CA replicas on one database: one stops, the bastion carries on with the other. */
class CaFailoverTest {

    @TempDir
    Path dir;
    TestIdp idp;
    TestCa first;
    TestCa second;
    URI dead;
    BastionCredential credential;

    @BeforeEach
    void start() throws Exception {
        idp = new TestIdp();
        String key = RunningBastion.generateKey(dir.resolve("bastion"));
        first = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), "roles: []\n", Clock.systemUTC(),
                RunningBastion.registration(key, List.of("127.0.0.1")));
        second = TestCa.replica(dir.resolve("ca"), Clock.systemUTC());
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = URI.create("http://127.0.0.1:" + probe.getLocalPort());
        }
        credential = BastionCredential.load(RunningBastion.NAME, dir.resolve("bastion/bastion_key"), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
        idp.close();
    }

    @Test
    void movesToTheNextReplicaWhenOneIsGoneAndSticksToIt() throws Exception {
        CaClient client = new CaClient(List.of(dead, URI.create(first.url()), URI.create(second.url())), null, credential);
        assertFalse(client.policy().files().isEmpty(), "answered by the first live replica");
        long started = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            client.krl(); // sticks to the replica that answered: no more attempts at the dead one
        }
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(5).toNanos());

        first.close();
        first = null;
        BastionSync.Answer answer = client.sync(new BastionSync(0, List.of(), 1));
        assertEquals(0, answer.krlVersion(), "the long poll reconnects to the replica still up");
        assertFalse(client.policy().files().isEmpty());
        assertTrue(client.caKeys().user().get(0).startsWith("ssh-"));

        second.close();
        second = null;
        CaException down = assertThrows(CaException.class, client::policy);
        assertEquals(0, down.status());
        assertTrue(down.getMessage().contains("is unreachable"), down.getMessage());
    }
}
