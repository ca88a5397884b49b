package dev.writ.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.store.Recordings.Line;
import dev.writ.ca.store.Recordings.Match;
import dev.writ.ca.store.Recordings.Query;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import dev.writ.ca.testing.TestDatabase;

/** The recordings index in a real SQLite file and a real PostgreSQL database: facts, full-text search with offsets, filters. */
@ParameterizedClass
@EnumSource(TestDatabase.Kind.class)
class RecordingsTest {

    static final Instant T0 = Instant.parse("2026-11-21T08:00:00Z");

    @Parameter
    TestDatabase.Kind kind;
    @TempDir
    Path dir;
    TestDatabase db;
    Store store;
    Recordings recordings;
    final AtomicLong commits = new AtomicLong();

    @BeforeEach
    void open() throws Exception {
        db = kind.create(dir);
        store = db.open(nanos -> commits.incrementAndGet());
        recordings = store.recordings();
    }

    @AfterEach
    void close() {
        store.close();
        db.close();
    }

    static StoredRecording recording(String id, String identity, String target, Instant start, long seconds) {
        return new StoredRecording(0, id, "s-" + id, identity, "root", target, "1234", null, "10.0.0.7", start,
                start.plusSeconds(seconds), 100, false, 80, 24, "ab".repeat(32), "c2ln", "bastion-1",
                "ssh-ed25519 AAAA", "ab/" + id + ".cast", start.plusSeconds(seconds + 1), 0);
    }

    static AuditEvent stored(String id) {
        return new AuditEvent(T0, "recording.stored", "bastion:bastion-1", AuditEvent.Outcome.ok, "10.0.0.1",
                Map.of("id", id));
    }

    Recordings.Insert insert(StoredRecording r, Line... lines) throws StoreException {
        return recordings.insert(r, List.of(lines), stored(r.id()));
    }

    static Query text(String text) {
        return new Query(null, null, null, null, text, 50, 100);
    }

    static Query filters(String identity, String target, Instant since, Instant until) {
        return new Query(identity, target, since, until, null, 50, 100);
    }

    static List<String> ids(List<?> found) {
        return found.stream().map(f -> f instanceof Match m ? m.recording().id() : ((StoredRecording) f).id()).toList();
    }

    @Nested
    class Storing {

        @Test
        void keepsEveryFactAndAppendsTheAuditEventInTheSameTransaction() throws Exception {
            StoredRecording r = recording("r1", "alice@example.com", "web01", T0, 90);
            long eventsBefore = store.auditEvents(0, 1000).size();

            Recordings.Insert insert = insert(r, new Line(1500, "$ uptime"));

            assertTrue(insert.created());
            assertTrue(insert.recording().seq() > 0);
            assertEquals(r.withSeq(insert.recording().seq()), recordings.find("r1").orElseThrow());
            List<StoredAuditEvent> events = store.auditEvents(0, 1000);
            assertEquals(eventsBefore + 1, events.size());
            assertEquals("recording.stored", events.get(events.size() - 1).type());
            assertTrue(store.verifyAudit().ok());
        }

        @Test
        void anIdStoredAlreadyIsReturnedAndNothingIsWritten() throws Exception {
            insert(recording("r1", "alice@example.com", "web01", T0, 90), new Line(1000, "first"));
            long events = store.auditEvents(0, 1000).size();

            Recordings.Insert again = insert(recording("r1", "mallory@example.com", "db01", T0, 5), new Line(1, "second"));

            assertFalse(again.created());
            assertEquals("alice@example.com", again.recording().identity());
            assertEquals(events, store.auditEvents(0, 1000).size());
            assertTrue(recordings.search(text("second")).isEmpty());
        }

        @Test
        void aLongRecordingIsIndexedInSeveralTransactionsAndFoundToItsLastLine() throws Exception {
            int total = Recordings.CHUNK_LINES * 2 + 5;
            List<Line> lines = IntStream.range(0, total).mapToObj(n -> new Line(n, "line " + n + " of a long log")).toList();
            long commitsBefore = commits.get();

            Recordings.Insert insert = recordings.insert(recording("long", "alice@example.com", "web01", T0, 90), lines,
                    stored("long"));

            assertTrue(insert.created());
            assertTrue(commits.get() - commitsBefore >= 4, "three chunks of lines, then the row: "
                    + (commits.get() - commitsBefore) + " commits");
            List<Match> found = recordings.search(text("line " + (total - 1) + " of"));
            assertEquals(List.of("long"), ids(found));
            assertEquals(total - 1, found.get(0).hits().get(0).offsetMs());
        }

        @Test
        void linesLeftWithoutTheirRowAreNeverFoundNorOverwritten() throws Exception {
            store.write(c -> { // what an upload that failed half-way leaves behind
                if (kind == TestDatabase.Kind.POSTGRESQL) { // having drawn seq 7 from the database's sequence
                    try (var drawn = c.prepareStatement("SELECT setval('recording_seq', 7)")) {
                        drawn.execute();
                    }
                }
                try (var orphan = c.prepareStatement("INSERT INTO recording_text (rowid, text, offset_ms) VALUES (?, ?, 0)")) {
                    orphan.setLong(1, 7L << 24);
                    orphan.setString(2, "orphaned text");
                    orphan.executeUpdate();
                }
                return null;
            });

            Recordings.Insert insert = insert(recording("r1", "alice@example.com", "web01", T0, 90), new Line(1, "fresh"));

            assertTrue(insert.recording().seq() > 7, "a seq above the orphaned lines: " + insert.recording().seq());
            assertEquals(List.of("r1"), ids(recordings.search(text("fresh"))));
            assertTrue(recordings.search(text("orphaned")).isEmpty());
        }

        @Test
        void findsNothingForAnUnknownId() throws Exception {
            assertTrue(recordings.find("nope").isEmpty());
        }
    }

    @Nested
    class Searching {

        @BeforeEach
        void fill() throws Exception {
            insert(recording("r1", "alice@example.com", "web01", T0, 60),
                    new Line(1200, "alice@web01:~$ ls -la"),
                    new Line(4500, "alice@web01:~$ sudo RM -RF /var/tmp/cache"),
                    new Line(9000, "alice@web01:~$ exit"));
            insert(recording("r2", "bob@example.com", "db01.prod", T0.plusSeconds(3600), 60),
                    new Line(300, "bob@db01:~$ psql"),
                    new Line(2000, "postgres=# DROP TABLE users;"));
            insert(recording("r3", "bob@example.com", "web02", T0.plusSeconds(7200), 60),
                    new Line(700, "bob@web02:~$ rm -rf /tmp/x"),
                    new Line(800, "bob@web02:~$ rm -rf /tmp/y"));
        }

        @Test
        void findsASubstringWithPunctuationCaseInsensitivelyWithItsOffset() throws Exception {
            List<Match> found = recordings.search(text("rm -rf"));

            assertEquals(List.of("r3", "r1"), ids(found), "the most recently stored first");
            Match r1 = found.get(1);
            assertEquals(1, r1.hitCount());
            assertEquals(List.of(new Recordings.Hit(4500, "alice@web01:~$ sudo RM -RF /var/tmp/cache")), r1.hits());
        }

        @Test
        void returnsTheHitsOfARecordingOldestFirstAndCountsThemAll() throws Exception {
            Match r3 = recordings.search(text("rm -rf /tmp")).get(0);

            assertEquals(2, r3.hitCount());
            assertEquals(List.of(700L, 800L), r3.hits().stream().map(Recordings.Hit::offsetMs).toList());
        }

        @Test
        void keepsOnlyTheEarliestHitsWhenThereAreMoreThanAsked() throws Exception {
            Match r3 = recordings.search(new Query(null, null, null, null, "rm -rf", 50, 1)).get(0);

            assertEquals(2, r3.hitCount());
            assertEquals(List.of(700L), r3.hits().stream().map(Recordings.Hit::offsetMs).toList());
        }

        @Test
        void quotesInTheTextAreLiteralNotQuerySyntax() throws Exception {
            insert(recording("r4", "carol@example.com", "web03", T0, 10), new Line(50, "echo \"hello world\" OR NOT"));

            assertEquals(List.of("r4"), ids(recordings.search(text("\"hello world\" OR"))));
            assertTrue(recordings.search(text("hello OR psql")).isEmpty());
        }

        @Test
        void combinesTextWithIdentityTargetAndTimeFilters() throws Exception {
            assertEquals(List.of("r3"), ids(recordings.search(new Query("bob@example.com", null, null, null, "rm -rf", 50, 100))));
            assertEquals(List.of("r1"), ids(recordings.search(new Query(null, "web0*", null, T0.plusSeconds(3600), "rm -rf", 50, 100))));
            assertEquals(List.of("r2"), ids(recordings.search(new Query(null, "db01.prod", null, null, "table", 50, 100))));
        }

        @Test
        void stopsAtTheLimitWithTheMostRecentlyStored() throws Exception {
            assertEquals(List.of("r3"), ids(recordings.search(new Query(null, null, null, null, "rm -rf", 1, 100))));
        }

        @Test
        void listsByFiltersAloneLatestStartFirst() throws Exception {
            assertEquals(List.of("r3", "r2", "r1"), ids(recordings.list(filters(null, null, null, null))));
            assertEquals(List.of("r3", "r2"), ids(recordings.list(filters("bob@example.com", null, null, null))));
            assertEquals(List.of("r3", "r2"), ids(recordings.list(filters("BOB*", null, null, null))));
            assertEquals(List.of("r2"), ids(recordings.list(filters(null, "db01.prod", null, null))));
            assertEquals(List.of("r3", "r1"), ids(recordings.list(filters(null, "web*", null, null))));
            // sessions running at any time in [since, until)
            assertEquals(List.of("r2"), ids(recordings.list(filters(null, null, T0.plusSeconds(3630), T0.plusSeconds(7200)))));
            assertEquals(List.of("r1"), ids(recordings.list(filters(null, null, null, T0.plusSeconds(1)))));
        }

        @Test
        void aPrefixFilterTreatsPercentAndUnderscoreLiterally() throws Exception {
            assertTrue(recordings.list(filters("b_b*", null, null, null)).isEmpty());
            assertTrue(recordings.list(filters("%*", null, null, null)).isEmpty());
        }
    }

    @Test
    void refusesTextShorterThanThreeCharactersWhichTrigramsCannotFind() {
        assertThrows(IllegalArgumentException.class, () -> text("rm"));
    }

    @Test
    void searchesTenThousandLinesOfOneRecordingAndFindsTheOneHit() throws Exception {
        List<Line> lines = new ArrayList<>();
        IntStream.range(0, 10_000).forEach(i -> lines.add(new Line(i * 10L, "line " + i + " of ordinary output")));
        lines.set(7_777, new Line(77_770, "cat /etc/shadow"));
        insert(recording("big", "alice@example.com", "web01", T0, 100_000), lines.toArray(Line[]::new));

        List<Match> found = recordings.search(text("/etc/shadow"));

        assertEquals(1, found.size());
        assertEquals(List.of(new Recordings.Hit(77_770, "cat /etc/shadow")), found.get(0).hits());
    }
}
