package dev.writ.e2e.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agent/bin/writ}'s class-data sharing archive: written on the first run, used by the next, and a truncated,
 * damaged or absent archive changes nothing a user sees (same output, same exit code, no JVM crash report).
 */
class WritLauncherTest {

    static final Path WRIT = Path.of("..", "agent", "bin", "writ").toAbsolutePath().normalize();
    static final String NOT_CONFIGURED = "writ: not configured: run writ configure --ca URL\n";

    @TempDir
    static Path dir;

    @BeforeAll
    static void built() {
        Assumptions.assumeTrue(Files.exists(WRIT.resolveSibling("../target/writ.jar").normalize()),
                "agent/target/writ.jar is built by the package phase of the agent module");
    }

    record Run(int exit, String stdout, String stderr) {
    }

    static Run status(Map<String, String> extra) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(WRIT.toString(), "status").directory(dir.toFile());
        Map<String, String> environment = builder.environment();
        environment.keySet().removeAll(List.of("SSH_AUTH_SOCK", "WRIT_CDS", "WRIT_JAVA"));
        environment.put("HOME", dir.resolve("home").toString());
        environment.put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        environment.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        environment.put("XDG_RUNTIME_DIR", dir.resolve("run").toString());
        environment.putAll(extra);
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "writ status did not finish in 120 s");
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    static Path archive() throws IOException {
        Path cache = dir.resolve("cache").resolve("writ");
        if (!Files.isDirectory(cache)) {
            return null;
        }
        try (Stream<Path> files = Files.list(cache)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).findFirst().orElse(null);
        }
    }

    static void assertNotConfigured(Run run) throws IOException {
        assertEquals(3, run.exit(), run.stderr());
        assertEquals("", run.stdout());
        assertEquals(NOT_CONFIGURED, run.stderr());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "the JVM crashed");
        }
    }

    @Test
    void writesTheArchiveOnceAndSurvivesADamagedOne() throws Exception {
        assertNotConfigured(status(Map.of()));
        Path archive = archive();
        assertTrue(archive != null && Files.size(archive) > 100_000, "no archive after the first run");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(archive.getParent())));
        long size = Files.size(archive);
        long written = Files.getLastModifiedTime(archive).toMillis();

        assertNotConfigured(status(Map.of())); // maps it
        assertEquals(written, Files.getLastModifiedTime(archive).toMillis(), "the archive was written again");

        // truncated (JDK 17 dies mapping one): refused by its size, and written again whole
        byte[] whole = Files.readAllBytes(archive);
        Files.delete(archive);
        Files.write(archive, java.util.Arrays.copyOf(whole, whole.length / 3));
        assertNotConfigured(status(Map.of()));
        assertEquals(size, Files.size(archive));

        // one byte changed in the middle, same size: the JVM's CRC check refuses it
        byte[] damaged = Files.readAllBytes(archive);
        damaged[damaged.length / 2] ^= (byte) 0xff;
        Files.delete(archive);
        Files.write(archive, damaged);
        assertNotConfigured(status(Map.of()));

        assertNotConfigured(status(Map.of("WRIT_CDS", "off")));
    }
}
