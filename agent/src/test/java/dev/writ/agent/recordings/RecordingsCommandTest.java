package dev.writ.agent.recordings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestCast;
import dev.writ.protocol.recording.Asciicast;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ recordings ...} in-process against a real CA holding recordings a real bastion key signed. */
class RecordingsCommandTest {

    static final String POLICY = """
            auditors:
              - match: { groups: [security] }
            """;
    /** A session where a command runs after ten idle seconds. */
    static final byte[] SESSION = TestCast.session("s-1", "alice@example.com", "root", "web01")
            .startedAt(1_795_000_000L)
            .output(0.5, "alice@web01:~$ ").output(1.0, "uptime\r\n").output(11.0, "alice@web01:~$ ")
            .output(12.25, "rm -rf /tmp/cache\r\n").event(12.5, "r", "100x30").output(13.0, "alice@web01:~$ exit\r\n")
            .bytes();

    /** A session an admin ended a quarter of an hour after its last output (in 2020: outside the other tests' lists). */
    static final byte[] ENDED = TestCast.session("s-4", "dave@example.com", "root", "web01").startedAt(1_600_100_000L)
            .output(0.5, "dave@web01:~$ ").output(4.7, "tail -f /var/log/syslog\r\n")
            .event(876.25, "m", "{\"event\":\"ended\",\"reason\":\"ended_by_admin\",\"admin\":\"sam@example.com\","
                    + "\"admin_reason\":\"INC-9 leak\"}")
            .event(876.25, "m", "{\"event\":\"closed\",\"bytes_to_target\":0,\"bytes_to_client\":38}")
            .bytes();

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static TestCa caWithoutAuditors;
    static RecordingBastion bastion;

    @TempDir
    Path dir;
    TestEnv env;
    List<Duration> sleeps;

    @BeforeAll
    static void start() throws Exception {
        idp = new MockIdp("hal", Map.of("email", "hal@example.com", "groups", List.of("security")), 3600);
        bastion = RecordingBastion.generate("bastion-1");
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), POLICY, Clock.systemUTC(), bastion.config(),
                dev.writ.ca.access.GrantEndedListener.NONE);
        caWithoutAuditors = TestCa.start(shared.resolve("ca2"), idp.issuerUrl(), "", Clock.systemUTC(), bastion.config(),
                dev.writ.ca.access.GrantEndedListener.NONE);
        assertEquals(201, bastion.upload(ca.url(), "rec-1", SESSION).statusCode());
        assertEquals(201, bastion.upload(ca.url(), "rec-2", TestCast.session("s-2", "bob@example.com", "deploy", "db01")
                .startedAt(1_795_003_600L).output(2, "pg_dump > /tmp/all.sql\r\n").bytes()).statusCode());
        assertEquals(201, bastion.upload(ca.url(), "rec-4", ENDED).statusCode());
    }

    @AfterAll
    static void stop() {
        ca.close();
        caWithoutAuditors.close();
        idp.close();
    }

    @BeforeEach
    void logIn() {
        sleeps = new ArrayList<>();
        env = TestEnv.in(dir).browser(HttpBrowser.following()).sleeper(sleeps::add);
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
        assertEquals(0, env.run("login").exit());
    }

    Result run(String... args) {
        return env.run(args);
    }

    @Nested
    class ListAndSearch {

        @Test
        void listsRecordingsLatestFirstAndFiltersThem() {
            Result all = run("recordings", "list", "--since", "2026-01-01T00:00:00Z");
            Result bob = run("recordings", "list", "--user", "bob@example.com");

            assertEquals(0, all.exit(), all.toString());
            assertEquals("""
                    ID     STARTED               DURATION  IDENTITY           LOGIN@TARGET
                    rec-2  2026-11-18T12:06:40Z  0:02      bob@example.com    deploy@db01
                    rec-1  2026-11-18T11:06:40Z  0:13      alice@example.com  root@web01
                    """, all.out());
            assertEquals(List.of("ID", "rec-2"), bob.out().lines().map(l -> l.split(" ")[0]).toList());
            assertEquals("no recordings\n", run("recordings", "list", "--target", "web*", "--since", "1h").out());
        }

        @Test
        void aSessionEndedAfterLongSilenceIsListedWithItsWholeLength() {
            Result dave = run("recordings", "list", "--user", "dave@example.com");

            assertEquals(0, dave.exit(), dave.toString());
            assertEquals("ID     STARTED               DURATION  IDENTITY          LOGIN@TARGET\n"
                    + "rec-4  2020-09-14T16:13:20Z  14:36.3   dave@example.com  root@web01\n", dave.out());
        }

        @Test
        void searchPrintsEachHitWithTheTimeToPlayItFrom() {
            Result found = run("recordings", "search", "RM -RF");

            assertEquals(0, found.exit(), found.toString());
            assertEquals("""
                    ID     STARTED               DURATION  IDENTITY           LOGIN@TARGET
                    rec-1  2026-11-18T11:06:40Z  0:13      alice@example.com  root@web01
                        0:12.3  alice@web01:~$ rm -rf /tmp/cache
                    """, found.out());
        }

        @Test
        void printsTheCasJsonForScripts() {
            Result json = run("recordings", "search", "pg_dump", "--json");
            assertTrue(json.out().contains("\"id\":\"rec-2\"") && json.out().contains("\"offset\":2.0"), json.out());
        }

        @Test
        void aNonAuditorIsToldWhyWithTheCaRefusedCode() {
            assertEquals(0, env.run("configure", "--ca", caWithoutAuditors.url()).exit());
            Result refused = run("recordings", "list");

            assertEquals(11, refused.exit());
            assertEquals("writ: the CA refused: only auditors may review recordings (HTTP 403)\n", refused.err());
        }

        @Test
        void aBadTimeOrTooShortTextIsAUsageOrCaError() {
            assertEquals(2, run("recordings", "list", "--since", "yesterday").exit());
            Result tooShort = run("recordings", "search", "rm");
            assertEquals(11, tooShort.exit());
            assertTrue(tooShort.err().contains("q must have at least 3 characters"), tooShort.err());
        }
    }

    @Nested
    class Play {

        static String output(double from) throws Exception {
            StringBuilder out = new StringBuilder();
            for (Asciicast.Event e : Asciicast.read(new StringReader(new String(SESSION))).events()) {
                if (e.code().equals("o")) {
                    out.append(e.data());
                }
            }
            return out.toString();
        }

        @Test
        void replaysTheOutputAtItsPaceWithIdleGapsCappedAt2Seconds() throws Exception {
            Result played = run("recordings", "play", "rec-1");

            assertEquals(0, played.exit(), played.toString());
            assertEquals(output(0), played.out());
            // 0.5 + 0.5 + 10 capped to 2 + 1.25 + 0.75 (the resize is not output)
            assertEquals(List.of(500L, 500L, 2000L, 1250L, 750L), sleeps.stream().map(Duration::toMillis).toList());
            assertTrue(played.err().startsWith("writ: playing rec-1 (alice@example.com as root on web01, 80x24)"), played.err());
            assertTrue(played.err().endsWith("\nwrit: rec-1 ends at 0:13\n"), played.err());
        }

        @Test
        void saysWhereARecordingEndsAndWhyTheBastionEndedItsSession() {
            Result played = run("recordings", "play", "rec-4");

            assertEquals(0, played.exit(), played.toString());
            assertEquals("dave@web01:~$ tail -f /var/log/syslog\r\n", played.out());
            assertEquals("writ: playing rec-4 (dave@example.com as root on web01, 80x24)\n"
                    + "writ: rec-4 ends at 14:36.3: the bastion ended the session (ended_by_admin by sam@example.com: INC-9 leak)\n",
                    played.err());
        }

        @Test
        void seeksWithFromAndGoesFasterWithSpeed() throws Exception {
            Result played = run("recordings", "play", "rec-1", "--from", "0:11", "--speed", "2", "--idle-limit", "1s");

            assertEquals(output(0), played.out(), "what came before --from is written at once");
            assertEquals(List.of(500L, 375L), sleeps.stream().map(Duration::toMillis).toList());
        }

        @Test
        void refusesAnOffsetItCannotRead() {
            Result refused = run("recordings", "play", "rec-1", "--from", "soon");
            assertEquals(2, refused.exit());
            assertEquals("writ: --from must be seconds (90), m:ss (1:30) or a duration (1m30s), not 'soon'\n", refused.err());
        }
    }

    @Nested
    class ExportAndVerify {

        @Test
        void exportWritesTheStoredFileThatAsciinemaReads() throws Exception {
            Path file = dir.resolve("out/session.cast");
            Files.createDirectories(file.getParent());

            Result exported = run("recordings", "export", "rec-1", "-o", file.toString());

            assertEquals(0, exported.exit(), exported.toString());
            assertArrayEquals(SESSION, Files.readAllBytes(file));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(80, Asciicast.read(Files.newBufferedReader(file)).header().width());
            assertEquals(15, run("recordings", "export", "rec-1", "-o", file.toString()).exit(), "no overwrite without --force");
            assertEquals(0, run("recordings", "export", "rec-1", "-o", file.toString(), "--force").exit());
        }

        @Test
        void verifyChecksOnTheCaAndHere() {
            Result verified = run("recordings", "verify", "rec-2");

            assertEquals(0, verified.exit(), verified.toString());
            assertTrue(verified.out().contains("CA check    ok\n"), verified.out());
            assertTrue(verified.out().contains("digest      ok: the downloaded file's SHA-256 is the signed "), verified.out());
            assertTrue(verified.out().contains("signature   ok: bastion bastion-1's key SHA256:"), verified.out());
        }

        @Test
        void verifyWithAPinnedKeyOfAnotherBastionFails() throws Exception {
            Path other = dir.resolve("other.pub");
            Files.writeString(other, RecordingBastion.generate("bastion-1").publicKeyLine() + "\n");

            Result refused = run("recordings", "verify", "rec-2", "--bastion-key", other.toString());

            assertEquals(17, refused.exit(), refused.toString());
            assertTrue(refused.out().contains("signature   FAILED: does not verify with the given key"), refused.out());
            assertEquals("writ: recording rec-2 failed verification\n", refused.err());
        }

        @Test
        void aTamperedStoredRecordingFailsVerifyAndExport() throws Exception {
            byte[] body = TestCast.session("s-3", "carol@example.com", "root", "web09").startedAt(1_600_000_000L).output(1, "cat /etc/shadow\r\n").bytes();
            assertEquals(201, bastion.upload(ca.url(), "rec-3", body).statusCode());
            Path stored;
            try (Stream<Path> files = Files.walk(shared.resolve("ca/data/recordings"))) {
                stored = files.filter(p -> p.getFileName().toString().startsWith("rec-3.")).findFirst().orElseThrow();
            }
            Files.setPosixFilePermissions(stored, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(stored, new String(body).replace("shadow", "motd##"));

            Result verified = run("recordings", "verify", "rec-3");
            Result exported = run("recordings", "export", "rec-3", "-o", dir.resolve("x.cast").toString());

            assertEquals(17, verified.exit(), verified.toString());
            assertTrue(verified.out().contains("CA check    FAILED: the file's SHA-256 is "), verified.out());
            assertTrue(verified.out().contains("digest      FAILED: the downloaded file's SHA-256 is "), verified.out());
            assertEquals(17, exported.exit(), exported.toString());
            assertTrue(Files.notExists(dir.resolve("x.cast")));
        }
    }
}
