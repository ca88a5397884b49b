package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.MutableClock;
import dev.writ.protocol.api.BastionSync;
import dev.writ.protocol.api.LiveSession;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the CA believes of the bastions' sessions, on a clock the test moves. */
class LiveSessionsTest {

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-21T10:00:00Z"));
    final LiveSessions live = new LiveSessions(() -> 3, null, clock);

    @AfterEach
    void close() {
        live.close();
    }

    static LiveSession session(String id) {
        return new LiveSession(id, "alice@example.com", "alice", "web01", "127.0.0.1", "2026-11-21T10:00:00Z", "42", null);
    }

    @Test
    void aBastionThatStopsSyncingIsNoLongerListed() throws Exception {
        live.sync("b1", new BastionSync(3, List.of(session("s1")), 0)).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("s1"), live.list().stream().map(LiveSession::id).toList());

        clock.advance(LiveSessions.SILENCE.minusSeconds(1));
        assertEquals(1, live.list().size(), "silent for less than its limit");
        clock.advance(Duration.ofSeconds(2));
        assertEquals(List.of(), live.list(), "a bastion that crashed takes its sessions with it");
        assertEquals(null, live.find("s1"));
    }

    @Test
    void aHeldSyncKeepsItsBastionListedPastTheSilence() {
        CompletableFuture<BastionSync.Answer> held = live.sync("b1", new BastionSync(3, List.of(session("s1")), 20));
        clock.advance(LiveSessions.SILENCE.plusSeconds(5));
        assertFalse(held.isDone());
        assertEquals(1, live.list().size(), "a bastion waiting on its sync is there");
    }

    @Test
    void aSessionThatStartedByEventOutlivesAReportSentBeforeIt() throws Exception {
        live.started("b1", session("s2"));
        live.sync("b1", new BastionSync(3, List.of(session("s1")), 0)).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("s1", "s2"), live.list().stream().map(LiveSession::id).sorted().toList());

        clock.advance(LiveSessions.EVENT_WEIGHT.plusSeconds(1));
        live.sync("b1", new BastionSync(3, List.of(session("s1")), 0)).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("s1"), live.list().stream().map(LiveSession::id).toList(),
                "later reports without it win: its end event was lost");
        assertTrue(live.list().stream().allMatch(s -> "b1".equals(s.bastion())));
    }
}
