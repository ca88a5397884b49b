package dev.writ.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The real OpenSSH {@code ssh-agent}, in the foreground on a socket of the test's. */
public final class SshAgentProcess implements AutoCloseable {

    private final Process process;
    private final Path socket;

    private SshAgentProcess(Process process, Path socket) {
        this.process = process;
        this.socket = socket;
    }

    public static SshAgentProcess start(Path socket) throws IOException, InterruptedException {
        Files.createDirectories(socket.getParent());
        Process process = new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(socket)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("ssh-agent did not create " + socket);
            }
            Thread.sleep(20);
        }
        return new SshAgentProcess(process, socket);
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
