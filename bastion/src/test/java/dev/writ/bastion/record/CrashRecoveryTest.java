package dev.writ.bastion.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.recording.Asciicast;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a crash leaves in the spool is closed as truncated at the next start, and nothing else is touched. */
class CrashRecoveryTest {

    static final String HEADER = Asciicast.headerLine(new Asciicast.Header(80, 24, 1_800_000_000L, "xterm",
            Map.of("session_id", "s1", "identity", "alice@example.com", "login", "root", "target", "web01")));

    @TempDir
    Path dir;
    Spool spool;

    @BeforeEach
    void spool() {
        spool = Spool.open(dir.resolve("spool"));
    }

    @Test
    void closesAnUnfinishedRecordingAsTruncatedDroppingTheLineTheCrashCut() throws Exception {
        Files.writeString(spool.part("s1-1"), HEADER + "\n"
                + "[0.5, \"o\", \"hello \"]\n"
                + "[1.25, \"o\", \"world\\r\\n\"]\n"
                + "[1.75, \"o\", \"cut sh");

        List<Map<String, String>> recovered = CrashRecovery.recover(spool, new BastionMetrics());

        assertEquals(1, recovered.size());
        assertEquals("s1", recovered.get(0).get("session_id"), "the facts of its session, for the audit log");
        assertEquals("web01", recovered.get(0).get("target"));
        assertFalse(Files.exists(spool.part("s1-1")));
        Asciicast.Recording cast = Asciicast.read(new StringReader(Files.readString(spool.done("s1-1"))));
        assertEquals("true", cast.header().writ().get("truncated"));
        assertEquals("alice@example.com", cast.header().writ().get("identity"), "the other facts stay");
        assertEquals(List.of("hello ", "world\r\n"), cast.events().stream().filter(e -> e.code().equals("o"))
                .map(Asciicast.Event::data).toList());
        Asciicast.Event last = cast.events().get(cast.events().size() - 1);
        assertEquals("m", last.code());
        assertEquals(1.25, last.time());
        assertTrue(last.data().contains("\"event\":\"truncated\""), last.data());
        assertFalse(cast.truncated(), "no cut-off line is left in the file");
        assertEquals(List.of(spool.done("s1-1")), spool.finished(), "queued for upload");
    }

    @Test
    void aRecordingWithoutAWholeHeaderIsMovedAsideWithTheReason() throws Exception {
        Files.writeString(spool.part("s2-1"), "{\"version\": 2, \"wid");

        assertEquals(0, CrashRecovery.recover(spool, new BastionMetrics()).size());

        assertEquals(List.of(), spool.finished());
        assertTrue(Files.exists(spool.dir().resolve("rejected/s2-1.cast")));
        assertTrue(Files.readString(spool.dir().resolve("rejected/s2-1.reason")).contains("unrecoverable"));
    }

    @Test
    void anEmptyOneIsDroppedAndALeftoverOfAnInterruptedRecoveryDiscarded() throws Exception {
        Files.writeString(spool.part("s3-1"), "");
        Files.writeString(spool.dir().resolve("s4-1" + Spool.TMP), HEADER + "\n[0.1, \"o\", \"half");
        Files.writeString(spool.part("s4-1"), HEADER + "\n[0.1, \"o\", \"whole\"]\n");

        assertEquals(1, CrashRecovery.recover(spool, new BastionMetrics()).size());

        assertEquals(List.of(spool.done("s4-1")), spool.finished());
        assertEquals(List.of(), spool.unfinished());
        assertEquals(List.of(), spool.leftovers());
    }

    @Test
    void finishedRecordingsAreLeftAsTheyAre() throws Exception {
        String finished = HEADER + "\n[0.1, \"o\", \"done\"]\n";
        Files.writeString(spool.done("s5-1"), finished);

        assertEquals(0, CrashRecovery.recover(spool, new BastionMetrics()).size());

        assertEquals(finished, Files.readString(spool.done("s5-1")));
    }
}
