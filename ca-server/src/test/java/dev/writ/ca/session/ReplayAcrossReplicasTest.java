package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bastion assertion is single-use across CA replicas that share a database. */
class ReplayAcrossReplicasTest {

    @TempDir
    Path dir;

    @Test
    void anAssertionUsedAtOneReplicaIsRefusedAtAnother() throws Exception {
        TestBastion bastion = TestBastion.ed25519("edge");
        var registration = new BastionRegistration("edge", bastion.publicKeyLine(), List.of("127.0.0.1"), List.of("*.internal"));
        try (Store a = Store.openSqlite(dir.resolve("writ.db"), n -> { });
             Store b = Store.openSqlite(dir.resolve("writ.db"), n -> { })) {
            var atA = new BastionAssertions(List.of(registration), Clock.systemUTC(), a.assertionIds());
            var atB = new BastionAssertions(List.of(registration), Clock.systemUTC(), b.assertionIds());
            String once = bastion.assertion();
            assertEquals("edge", atA.verify(once).name());
            RequestRefused replayed = assertThrows(RequestRefused.class, () -> atB.verify(once));
            assertEquals("bastion assertion rejected: assertion replayed (jti already used)", replayed.getMessage());
            assertThrows(RequestRefused.class, () -> atA.verify(once));
            // another assertion of the same bastion is fine at either replica
            assertEquals("edge", atB.verify(bastion.assertion()).name());
            assertEquals("edge", atA.verify(bastion.sign(bastion.claims(Instant.now(), 30))).name());
        }
    }
}
