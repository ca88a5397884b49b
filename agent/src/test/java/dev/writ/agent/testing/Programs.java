package dev.writ.agent.testing;

import dev.writ.ca.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real OpenSSH programs (ssh, ssh-add), run with the environment a test gives them. */
public final class Programs {

    private Programs() {
    }

    public static Processes.Result run(Map<String, String> environment, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("SSH_AUTH_SOCK");
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command.get(0) + " did not finish within 30 s");
        }
        return new Processes.Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** {@code ssh-add -l} against the agent at {@code socket}. */
    public static Processes.Result sshAddList(Path socket) throws IOException, InterruptedException {
        return run(Map.of("SSH_AUTH_SOCK", socket.toString()), List.of("ssh-add", "-l"));
    }

    /**
     * The real ssh client logging in to 127.0.0.1:{@code port} as {@code user} and running
     * {@code remoteCommand}, with the agent at {@code agentSocket} as its only source of keys:
     * no config file, no identity file, batch mode.
     */
    public static List<String> sshCommand(Path agentSocket, int port, String user, String remoteCommand) {
        List<String> command = new ArrayList<>(List.of("ssh", "-F", "/dev/null",
                "-p", Integer.toString(port),
                "-o", "BatchMode=yes",
                "-o", "IdentityAgent=" + agentSocket,
                "-o", "IdentityFile=/dev/null",
                "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR",
                user + "@127.0.0.1", remoteCommand));
        return command;
    }

    public static Processes.Result ssh(Path agentSocket, int port, String user, String remoteCommand)
            throws IOException, InterruptedException {
        return run(Map.of("SSH_AUTH_SOCK", agentSocket.toString()), sshCommand(agentSocket, port, user, remoteCommand));
    }
}
