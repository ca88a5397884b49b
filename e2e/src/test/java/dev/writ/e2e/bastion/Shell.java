package dev.writ.e2e.bastion;

import dev.writ.ca.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a real program with scripted input (the PTY tests type into ssh -tt). */
final class Shell {

    private Shell() {
    }

    static Processes.Result run(List<String> command, String input, int seconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        // leave stdin open briefly, as a person would, then close it
        Thread.sleep(300);
        process.getOutputStream().close();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command.get(0) + " did not finish within " + seconds + " s: "
                    + new String(process.getInputStream().readNBytes(4096), StandardCharsets.UTF_8));
        }
        return new Processes.Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
