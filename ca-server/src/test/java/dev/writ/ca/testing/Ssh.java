package dev.writ.ca.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real OpenSSH client, run deterministically: no user config, no agent, only the identity
 * and certificate given, batch mode (never a prompt).
 */
public final class Ssh {

    private Ssh() {
    }

    /** Options every test run needs, before any of its own. */
    public static List<String> baseCommand(int port, Path knownHosts) {
        List<String> command = new ArrayList<>(List.of("ssh", "-F", "/dev/null",
                "-p", Integer.toString(port),
                "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes",
                "-o", "IdentityAgent=none",
                "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR"));
        if (knownHosts == null) {
            command.addAll(List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"));
        } else {
            command.addAll(List.of("-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts));
        }
        return command;
    }

    /** Runs {@code remoteCommand} as {@code user} on 127.0.0.1, authenticating with {@code identity} and {@code certificate}. */
    public static Processes.Result run(int port, String user, Path identity, Path certificate, String remoteCommand)
            throws IOException, InterruptedException {
        List<String> command = baseCommand(port, null);
        command.addAll(List.of("-i", identity.toString()));
        if (certificate != null) {
            command.addAll(List.of("-o", "CertificateFile=" + certificate));
        }
        command.addAll(List.of(user + "@127.0.0.1", remoteCommand));
        return Processes.run(command, 30);
    }
}
