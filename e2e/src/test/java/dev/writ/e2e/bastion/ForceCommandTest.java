package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A role with {@code critical_options: {force-command: ...}}: the CA puts the option in the
 * engineer's certificate, and through the bastion, both ways, with the real OpenSSH client and a
 * real sshd, whatever the engineer asks for (a command, a shell on a terminal, a subsystem) runs
 * the forced command and nothing else. What the engineer asked for would leave a file behind.
 */
class ForceCommandTest {

    static final String FORCED = "echo forced-by-writ";
    static final String POLICY = """
            roles:
              - name: deployer
                match: { groups: [deployers] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 1h
                extensions: [permit-pty]
                critical_options: { force-command: "echo forced-by-writ" }
            """;
    static final String LOGIN = Stack.LOGIN;

    @TempDir
    static Path dir;
    static Stack stack;
    static Engineer deployer;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), "", SessionRecorder.NONE);
        deployer = stack.engineer("deployer", List.of("deployers"), "");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theCaPutsTheRolesForceCommandInTheCertificate() throws Exception {
        Processes.Result listing = Processes.run(List.of("ssh-keygen", "-L", "-f", deployer.certificate().toString()));
        assertEquals(0, listing.exitCode(), listing.output());
        assertTrue(listing.output().contains("force-command " + FORCED), listing.output());
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aCommandRunsTheForcedCommandInstead(Route route) throws Exception {
        Path marker = dir.resolve("exec-ran-" + route);
        Processes.Result result = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                "--", "touch " + marker + "; echo asked-for-ran"), 30);
        assertEquals(0, result.exitCode(), result.output());
        assertEquals("forced-by-writ", result.output().strip());
        assertFalse(Files.exists(marker), "the command asked for ran on the target");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void anInteractiveShellRunsTheForcedCommandInstead(Route route) throws Exception {
        Path marker = dir.resolve("shell-ran-" + route);
        Processes.Result result = Shell.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01", "-tt"),
                "touch " + marker + "; echo typed-$((6*7))\nexit\n", 30);
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("forced-by-writ"), result.output());
        assertFalse(result.output().contains("typed-42"), result.output());
        assertFalse(Files.exists(marker), "what was typed ran on the target");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aSubsystemRunsTheForcedCommandInstead(Route route) throws Exception {
        Processes.Result result = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                "-s", "--", "sftp"), 30);
        assertEquals(0, result.exitCode(), result.output());
        assertEquals("forced-by-writ", result.output().strip());
    }
}
