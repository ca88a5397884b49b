package dev.writ.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of {@code ./dev up} that manage what it starts, run by bash from the script itself
 * (sourced, so that it only defines its functions): what it started is stopped when it exits, and
 * a CA that fails to start is reported at once with its own error.
 */
class DevScriptTest {

    static final Path DEV = Path.of("..", "dev").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    static Processes.Result bash(String script) throws Exception {
        return Processes.run(List.of("bash", "-c", "source '" + DEV + "'; " + script), 60);
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    void everythingStartedInTheBackgroundIsStoppedOnExit() throws Exception {
        Processes.Result run = bash("""
                trap stop_started EXIT
                start_background sleep 300 >/dev/null 2>&1
                start_background sleep 301 >/dev/null 2>&1
                echo "${STARTED[@]}"
                false   # fails like a step of ./dev up would, under set -e
                """);
        assertTrue(run.exitCode() != 0, run.output());
        List<Long> pids = List.of(run.output().strip().split(" ")).stream().map(Long::parseLong).toList();
        assertEquals(2, pids.size(), run.output());
        for (long pid : pids) {
            java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isPresent()) {
                process.get().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertFalse(alive(pid), "process " + pid + " stopped");
        }
    }

    @Test
    void aCaThatDoesNotStartIsReportedAtOnceWithItsOwnError() throws Exception {
        Path log = dir.resolve("ca.log");
        long started = System.nanoTime();
        Processes.Result run = bash("""
                start_background bash -c 'echo "policies/roles.yaml:12: unknown key max_tll in role engineer"; exit 1' > '%s' 2>&1
                wait_for_ca "${STARTED[-1]}" http://127.0.0.1:9 '%s'
                """.formatted(log, log));
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertEquals(1, run.exitCode(), run.output());
        assertTrue(run.output().contains("dev: the CA did not start; the end of " + log), run.output());
        assertTrue(run.output().contains("roles.yaml:12: unknown key max_tll in role engineer"), run.output());
        assertTrue(seconds < 20, "reported after " + seconds + " s");
    }

    @Test
    void theDemoPolicyDirectoryKeepsAUsersEdits() throws Exception {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("bastion"));
        Files.createDirectories(root.resolve("policies/examples"));
        Files.copy(DEV.resolveSibling("bastion/demo.sh"), root.resolve("bastion/demo.sh"));
        Files.writeString(root.resolve("policies/examples/roles.yaml"), "roles: []\n");
        Processes.Result first = Processes.run(List.of("bash", root.resolve("bastion/demo.sh").toString(), "prepare"), 60);
        assertEquals(0, first.exitCode(), first.output());
        assertTrue(first.output().contains("bastions:\n  - name: dev-bastion"), first.output());
        Path roles = root.resolve(".dev/policies/roles.yaml");
        assertEquals("roles: []\n", Files.readString(roles));
        Files.writeString(roles, "# edited\nroles: []\n");
        Processes.Result second = Processes.run(List.of("bash", root.resolve("bastion/demo.sh").toString(), "prepare"), 60);
        assertEquals(0, second.exitCode(), second.output());
        assertEquals("# edited\nroles: []\n", Files.readString(roles));
        assertTrue(Files.readString(root.resolve(".dev/policies/zz-demo.yaml")).contains("groups: [engineering, sre]"));
    }
}
