package dev.writ.e2e.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code writ} command as users get it ({@code agent/bin/writ}, which runs the packaged
 * {@code writ.jar}), each step its own process: configure, a browser login whose browser is an
 * HTTP client following the printed URL, {@code writ agent}, and the real ssh through it into
 * the real sshd.
 */
class WritCommandTest {

    static final Path WRIT = Path.of("..", "agent", "bin", "writ").toAbsolutePath().normalize();
    static final String LOGIN = Sshd.currentUser();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd sshd;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.exists(WRIT.resolveSibling("../target/writ.jar").normalize()),
                "agent/target/writ.jar is built by the package phase of the agent module");
        idp = new TestIdp();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), """
                roles:
                  - name: operator
                    match: { groups: [ops] }
                    principals: ["%s"]
                    max_ttl: 1h
                """.formatted(LOGIN), java.time.Clock.systemUTC(), TestCa.DIRECT_ACCESS);
        sshd = Sshd.in(dir.resolve("sshd")).trustedUserCaKeys(ca.get("/v1/ca/user.pub").body()).start();
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
            ca.close();
            idp.close();
        }
    }

    static ProcessBuilder writ(String... args) {
        List<String> command = new ArrayList<>(List.of(WRIT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = builder.environment();
        environment.keySet().removeAll(List.of("DISPLAY", "WAYLAND_DISPLAY", "SSH_AUTH_SOCK"));
        environment.put("HOME", dir.resolve("home").toString());
        environment.put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        environment.put("XDG_RUNTIME_DIR", dir.resolve("run").toString());
        return builder;
    }

    static Processes.Result run(String... args) throws Exception {
        Process process = writ(args).redirectErrorStream(true).start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "writ " + String.join(" ", args) + " finished");
        return new Processes.Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void configureLoginAgentAndSshAsProcesses() throws Exception {
        Files.createDirectories(dir.resolve("home"));
        Processes.Result configure = run("configure", "--ca", ca.url());
        assertEquals(0, configure.exitCode(), configure.output());

        // the next token request at the issuer (the code exchange) gets this user's claims
        idp.server().enqueueCallback(new DefaultOAuth2TokenCallback(TestIdp.ISSUER_ID, "dana", "JWT", List.of("writ"),
                Map.of("email", "dana@example.com", "groups", List.of("ops")), 3600));
        Process login = writ("login").redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(login.getInputStream(), StandardCharsets.UTF_8));
        String url = null;
        for (String line; url == null && (line = output.readLine()) != null; ) {
            if (line.startsWith("  http")) {
                url = line.strip();
            }
        }
        HttpResponse<String> page = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
                .send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(login.waitFor(60, TimeUnit.SECONDS));
        String rest = output.lines().reduce("", (a, b) -> a + b + "\n");
        assertEquals(200, page.statusCode());
        assertEquals(0, login.exitValue(), rest);
        assertTrue(rest.contains("Logged in as dana@example.com"), rest);

        Path socket = dir.resolve("run/writ/agent.sock");
        Path agentLog = dir.resolve("agent.log");
        Process agent = writ("agent").redirectErrorStream(true).redirectOutput(agentLog.toFile()).start();
        try {
            awaitFile(socket, agent, agentLog);
            Processes.Result ssh = Processes.run(List.of("ssh", "-F", "/dev/null", "-p", Integer.toString(sshd.port()),
                    "-o", "BatchMode=yes", "-o", "IdentityAgent=" + socket, "-o", "IdentityFile=/dev/null",
                    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                    LOGIN + "@127.0.0.1", "echo through-the-writ-command"));
            assertEquals(0, ssh.exitCode(), ssh.output() + Files.readString(agentLog) + sshd.log());
            assertEquals("through-the-writ-command\n", ssh.output());

            Processes.Result status = run("status");
            assertEquals(0, status.exitCode(), status.output());
            assertTrue(status.output().contains("identity       dana@example.com\n"), status.output());
            assertTrue(status.output().contains("(in the writ agent at " + socket + ")\n"), status.output());
        } finally {
            agent.destroy();
            assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
        }
        assertTrue(Files.notExists(socket), "the agent removes its socket when stopped");
        String log = Files.readString(agentLog);
        assertTrue(log.contains("writ agent: new certificate for dana@example.com"), log);
        assertTrue(!log.contains("SLF4J"), log);
    }

    static void awaitFile(Path file, Process process, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(file)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("writ agent did not create " + file + ": " + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }
}
