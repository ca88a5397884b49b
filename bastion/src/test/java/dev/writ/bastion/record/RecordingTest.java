package dev.writ.bastion.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.Bastion;
import dev.writ.bastion.config.ConfigLoader;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RecordingReceiver;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.TestCa;
import dev.writ.protocol.recording.Asciicast;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recordings of real sessions: the real OpenSSH client through the bastion to a real sshd, the
 * recordings uploaded to a receiver that checks them as the CA does.
 */
class RecordingTest {

    static final String LOGIN = Stack.LOGIN;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]
                recording: best_effort
              - name: typist
                match: { groups: [typists] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                extensions: [permit-pty]
                recording: strict
                record_input: true
              - name: idler
                match: { groups: [idlers] }
                principals: ["%1$s"]
                targets: [ { hosts: ["web*"] } ]
                max_ttl: 8h
                recording: best_effort
                idle_timeout: 4s # the login and the connection to the target must fit in it on a busy machine
            """;

    @TempDir
    static Path dir;
    static RecordingReceiver receiver;
    static Stack stack;
    static Engineer alice;
    static Engineer tina;

    @BeforeAll
    static void start() throws Exception {
        receiver = RecordingReceiver.start(RunningBastion.generateKey(dir.resolve("bastion")));
        stack = Stack.start(dir, POLICY, List.of("web01"), List.of(), """
                recordings:
                  spool: ./spool
                  upload_url: %s
                  upload_backoff: 1s
                """.formatted(receiver.url()), null, TestCa.DIRECT_ACCESS); // the byte-for-byte baseline logs in without the bastion
        alice = stack.engineer("alice", List.of("engineering"), "");
        tina = stack.engineer("tina", List.of("typists"), "");
    }

    @AfterAll
    static void stop() throws Exception {
        if (receiver != null) {
            receiver.dump(dir.resolve("received"));
            receiver.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Nested
    class Terminals {

        /** The same command with a PTY, directly on the target and through the bastion: the recording holds its output exactly. */
        @Test
        void theRecordedOutputIsByteForByteWhatTheTargetPrinted() throws Exception {
            String command = "printf 'h\\303\\251llo \\342\\234\\223 \\033[1mbold\\033[0m\\ttab\\n';"
                    + " seq 1 5000 | awk '{ print $0 \" \\303\\251\\342\\234\\223\" }'; printf 'done\\n'; exit 0";
            byte[] direct = stdout(List.of("ssh", "-F", alice.config().toString(), "-p", Integer.toString(stack.target(0).port()),
                    "-o", "HostKeyAlias=web01", "-tt", LOGIN + "@127.0.0.1", command));
            byte[] relayed = stdout(Engineer.with(alice.direct(stack.bastion.port(), LOGIN, "web01", "-tt"), command));
            assertArrayEquals(direct, relayed, "the bastion relays the same bytes");
            assertTrue(new String(direct, StandardCharsets.UTF_8).contains("5000 é✓"));

            Asciicast.Recording cast = receiver.await(facts -> command.equals(facts.get("command")), Duration.ofSeconds(20));

            assertArrayEquals(direct, output(cast).getBytes(StandardCharsets.UTF_8));
            assertEquals("terminal", cast.header().writ().get("recording"));
            assertEquals("alice@example.com", cast.header().writ().get("identity"));
            assertEquals(LOGIN, cast.header().writ().get("login"));
            assertEquals("web01", cast.header().writ().get("target"));
            assertEquals(Long.toUnsignedString(Stack.serialOf(alice)), cast.header().writ().get("serial"));
            assertEquals("127.0.0.1", cast.header().writ().get("client_address"));
            assertFalse(cast.events().stream().anyMatch(e -> e.code().equals("i")), "engineer's role does not record input");
        }

        @Test
        void aProxyJumpSessionIsRecordedLikeADirectOne() throws Exception {
            String command = "printf 'through-the-jump\\n'; exit 0";
            byte[] printed = stdout(Engineer.with(alice.jump(stack.bastion.port(), LOGIN, "web01", "-tt"), command));

            Asciicast.Recording cast = receiver.await(facts -> command.equals(facts.get("command")), Duration.ofSeconds(20));

            assertArrayEquals(printed, output(cast).getBytes(StandardCharsets.UTF_8));
            assertEquals("web01", cast.header().writ().get("target"));
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + stack.bastion.metricsPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("writ_bastion_recordings_written_total"), metrics);
            assertTrue(metrics.contains("writ_bastion_recording_uploads_total{outcome=\"ok\"}"), metrics);
            assertTrue(metrics.contains("writ_bastion_recording_spool_writable 1.0"), metrics);
        }

        /** OpenSSH sends window changes only for a terminal of its own; MINA's client sends one on demand. */
        @Test
        void aResizeDuringTheSessionIsAnREvent() throws Exception {
            SshClient client = SshClient.setUpDefaultClient();
            client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE); // the bastion's host certificate is tested elsewhere
            client.start();
            try (ClientSession session = client.connect(LOGIN + "@web01", "127.0.0.1", stack.bastion.port())
                    .verify(Duration.ofSeconds(10)).getSession()) {
                session.addPublicKeyIdentity(identity(alice));
                session.auth().verify(Duration.ofSeconds(10));
                PtyChannelConfiguration pty = new PtyChannelConfiguration();
                pty.setPtyType("xterm");
                pty.setPtyColumns(80);
                pty.setPtyLines(24);
                try (ChannelShell shell = session.createShellChannel(pty, null)) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    shell.setOut(out);
                    shell.setErr(out);
                    shell.open().verify(Duration.ofSeconds(10));
                    type(shell, "echo resize-test; stty size\n");
                    await(out, "24 80");
                    shell.sendWindowChange(132, 43);
                    Thread.sleep(300);
                    type(shell, "stty size; exit\n");
                    await(out, "43 132");
                }
            } finally {
                client.stop();
            }

            Asciicast.Recording cast = receiver.await(facts -> "terminal".equals(facts.get("recording"))
                    && facts.get("command") == null && "alice@example.com".equals(facts.get("identity")), Duration.ofSeconds(20));

            assertEquals(80, cast.header().width());
            assertEquals(24, cast.header().height());
            assertEquals("xterm", cast.header().term());
            List<String> resizes = cast.events().stream().filter(e -> e.code().equals("r")).map(Asciicast.Event::data).toList();
            assertEquals(List.of("132x43"), resizes);
            double resizedAt = cast.events().stream().filter(e -> e.code().equals("r")).findFirst().orElseThrow().time();
            String after = cast.events().stream().filter(e -> e.code().equals("o") && e.time() >= resizedAt)
                    .map(Asciicast.Event::data).collect(Collectors.joining());
            assertTrue(after.contains("43 132"), "the new size is printed after the resize event: " + after);
        }

        @Test
        void whatTheEngineerTypesIsRecordedWhereTheRoleSaysSo() throws Exception {
            Process ssh = new ProcessBuilder(Engineer.with(tina.direct(stack.bastion.port(), LOGIN, "web01", "-tt"),
                    "read line; echo \"got $line\"")).redirectErrorStream(true).start();
            ssh.getOutputStream().write("typed-secret\n".getBytes(StandardCharsets.UTF_8));
            ssh.getOutputStream().flush();
            assertTrue(ssh.waitFor(30, TimeUnit.SECONDS));
            ssh.getOutputStream().close();
            assertTrue(new String(ssh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("got typed-secret"));

            Asciicast.Recording cast = receiver.await(facts -> "tina@example.com".equals(facts.get("identity")),
                    Duration.ofSeconds(20));

            String typed = cast.events().stream().filter(e -> e.code().equals("i")).map(Asciicast.Event::data)
                    .collect(Collectors.joining());
            assertEquals("typed-secret\n", typed, cast.header() + " " + cast.events());
            assertEquals("strict", cast.header().writ().get("mode"));
        }
    }

    @Nested
    class Events {

        @Test
        void aCommandWithoutAPtyIsRecordedWithItsExitStatusAndByteCounts() throws Exception {
            String command = "head -c 12345 /dev/zero; cat > /dev/null; exit 3";
            Process ssh = new ProcessBuilder(Engineer.with(alice.direct(stack.bastion.port(), LOGIN, "web01"), command))
                    .redirectErrorStream(true).start();
            ssh.getOutputStream().write(new byte[777]);
            ssh.getOutputStream().close();
            long printed = ssh.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            assertTrue(ssh.waitFor(30, TimeUnit.SECONDS));
            assertEquals(3, ssh.exitValue());
            assertEquals(12345, printed);

            Asciicast.Recording cast = receiver.await(facts -> command.equals(facts.get("command")), Duration.ofSeconds(20));

            assertEquals("events", cast.header().writ().get("recording"));
            assertFalse(cast.events().stream().anyMatch(e -> e.code().equals("o")), "no data, only events");
            List<JsonNode> markers = new ArrayList<>();
            for (Asciicast.Event event : cast.events()) {
                markers.add(JSON.readTree(event.data()));
            }
            assertEquals(command, markers.get(0).get("command").asText());
            assertEquals(3, markers.stream().filter(m -> m.get("event").asText().equals("exit")).findFirst().orElseThrow()
                    .get("status").asInt());
            JsonNode closed = markers.get(markers.size() - 1);
            assertEquals("closed", closed.get("event").asText());
            assertEquals(777, closed.get("bytes_to_target").asLong());
            assertEquals(12345, closed.get("bytes_to_client").asLong());
        }
    }

    /** Recordings end when their channel ends, however long it was quiet before, and say why when the bastion ended it. */
    @Nested
    class Ends {

        @Test
        void aCommandKilledAfterTwoSecondsIsClosedNoEarlierThanThat() throws Exception {
            String command = "echo started; sleep 60 # killed";
            Process ssh = new ProcessBuilder(Engineer.with(alice.direct(stack.bastion.port(), LOGIN, "web01"), command))
                    .redirectErrorStream(true).start();
            double alive;
            try {
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                pump(ssh.getInputStream(), seen);
                await(seen, "started"); // the channel is open
                long started = System.nanoTime();
                Thread.sleep(2_000);
                alive = (System.nanoTime() - started) / 1e9;
            } finally {
                ssh.destroyForcibly(); // SIGKILL: the engineer's side is gone, the bastion closes the channel
            }
            assertTrue(ssh.waitFor(10, TimeUnit.SECONDS));

            Asciicast.Recording cast = receiver.await(facts -> command.equals(facts.get("command")), Duration.ofSeconds(20));

            Asciicast.Event exec = cast.events().get(0);
            Asciicast.Event last = cast.events().get(cast.events().size() - 1);
            assertEquals("{\"event\":\"exec\",\"command\":\"" + command + "\"}", exec.data());
            assertEquals("closed", JSON.readTree(last.data()).get("event").asText(), cast.events().toString());
            assertTrue(last.time() >= exec.time() + alive, "closed at " + last.time() + " s, yet the command ran " + alive
                    + " s after it started at " + exec.time() + " s");
        }

        @Test
        void aSessionEndedForIdlingSaysSoAtItsEnd() throws Exception {
            Engineer idle = stack.engineer("idle", List.of("idlers"), "");
            String command = "echo started; sleep 60 # idle";
            Asciicast.Recording cast = endedByTheBastion(idle, command, () -> { });

            List<Asciicast.Event> events = cast.events();
            Asciicast.Event ended = events.get(events.size() - 2);
            assertEquals("{\"event\":\"ended\",\"reason\":\"idle_timeout\"}", ended.data());
            assertEquals("closed", JSON.readTree(events.get(events.size() - 1).data()).get("event").asText());
            assertTrue(ended.time() >= events.get(0).time() + 4, "idle for 4 s after its command started: " + events);
        }

        @Test
        void aSessionEndedByARevocationSaysSoAtItsEnd() throws Exception {
            Engineer revoked = stack.engineer("revoked", List.of("engineering"), "");
            String command = "echo started; sleep 60 # revoked";
            Asciicast.Recording cast = endedByTheBastion(revoked, command, () -> {
                try {
                    stack.revokeSerial(Stack.serialOf(revoked));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            List<Asciicast.Event> events = cast.events();
            assertEquals("{\"event\":\"ended\",\"reason\":\"certificate_revoked\"}", events.get(events.size() - 2).data(),
                    events.toString());
            assertEquals("closed", JSON.readTree(events.get(events.size() - 1).data()).get("event").asText());
        }

        /** Runs {@code command} without a PTY, does {@code end} once it started, and awaits the bastion's end of the session. */
        Asciicast.Recording endedByTheBastion(Engineer engineer, String command, Runnable end) throws Exception {
            Process ssh = new ProcessBuilder(Engineer.with(engineer.direct(stack.bastion.port(), LOGIN, "web01"), command))
                    .redirectErrorStream(true).start();
            try {
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                pump(ssh.getInputStream(), seen);
                await(seen, "started");
                end.run();
                assertTrue(ssh.waitFor(15, TimeUnit.SECONDS), "the bastion ends the session: " + seen);
            } finally {
                ssh.destroyForcibly();
            }
            return receiver.await(facts -> command.equals(facts.get("command")), Duration.ofSeconds(20));
        }
    }

    @Nested
    class Crash {

        /**
         * The bastion as its own process, killed (SIGKILL) in mid-session once output was on the
         * engineer's screen for over a second, then started again: the recording up to then is
         * uploaded, marked truncated.
         */
        @Test
        void aRecordingCutByAKillIsUploadedMarkedTruncatedAfterARestart() throws Exception {
            Path bastionDir = Files.createDirectories(dir.resolve("crashing-bastion"));
            for (String file : List.of("bastion_key", "bastion_key.pub")) {
                Files.copy(dir.resolve("bastion").resolve(file), bastionDir.resolve(file));
            }
            Files.setPosixFilePermissions(bastionDir.resolve("bastion_key"), PosixFilePermissions.fromString("rw-------"));
            int port = freePort();
            Path config = RunningBastion.writeConfig(bastionDir, port, stack.ca.url(), """
                    targets:
                      - name: web01
                        address: 127.0.0.1:%d
                        labels: { env: dev }
                    recordings:
                      spool: ./spool
                      upload_url: %s
                      upload_backoff: 1s
                    """.formatted(stack.target(0).port(), receiver.url()));
            Process bastion = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.writ.bastion.Main", "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(bastionDir.resolve("bastion.log").toFile()).start();
            Process ssh = null;
            try {
                awaitListening(port, bastion, bastionDir.resolve("bastion.log"));
                ssh = new ProcessBuilder(Engineer.with(alice.direct(port, LOGIN, "web01", "-tt"),
                        "printf 'crash-line-1\\n'; sleep 1; printf 'crash-line-2\\n'; sleep 60"))
                        .redirectErrorStream(true).start();
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                pump(ssh.getInputStream(), seen);
                await(seen, "crash-line-2");
                Thread.sleep(1_500); // a flush at least comes in between
                bastion.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
                assertTrue(bastion.waitFor(10, TimeUnit.SECONDS));
            } finally {
                bastion.destroyForcibly();
                if (ssh != null) {
                    ssh.destroyForcibly();
                }
            }

            try (Bastion restarted = Bastion.start(ConfigLoader.load(config), Clock.systemUTC())) {
                Asciicast.Recording cast = receiver.await(facts -> "true".equals(facts.get("truncated"))
                        && facts.get("command") != null && facts.get("command").contains("crash-line-1"), Duration.ofSeconds(30));
                String output = output(cast);
                assertTrue(output.contains("crash-line-1") && output.contains("crash-line-2"), output);
                Asciicast.Event last = cast.events().get(cast.events().size() - 1);
                assertEquals("m", last.code());
                assertEquals("truncated", JSON.readTree(last.data()).get("event").asText());
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (spoolFiles(bastionDir.resolve("spool")) > 0) {
                    assertTrue(System.nanoTime() < deadline, "the spool is empty once the CA has confirmed the recording");
                    Thread.sleep(50);
                }
            }
        }
    }

    // --- helpers ---

    static long spoolFiles(Path spool) throws Exception {
        try (var files = Files.list(spool)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    static String output(Asciicast.Recording cast) {
        return cast.events().stream().filter(e -> e.code().equals("o")).map(Asciicast.Event::data).collect(Collectors.joining());
    }

    /** What a command printed on standard output (its standard error goes to a file of the test's). */
    static byte[] stdout(List<String> command) throws Exception {
        Path errors = Files.createTempFile(dir, "stderr", ".txt");
        Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, process.exitValue(), Files.readString(errors));
        return out;
    }

    static KeyPair identity(Engineer engineer) throws Exception {
        KeyPair key;
        try (InputStream in = Files.newInputStream(engineer.key())) {
            key = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(engineer.key().toString()), in,
                    FilePasswordProvider.EMPTY).iterator().next();
        }
        PublicKey certificate = PublicKeyEntry.parsePublicKeyEntry(Files.readString(engineer.certificate()).strip())
                .resolvePublicKey(null, null, null);
        return new KeyPair(certificate, key.getPrivate());
    }

    static void type(ChannelShell shell, String text) throws Exception {
        shell.getInvertedIn().write(text.getBytes(StandardCharsets.UTF_8));
        shell.getInvertedIn().flush();
    }

    static void await(ByteArrayOutputStream out, String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!out.toString(StandardCharsets.UTF_8).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in: " + out.toString(StandardCharsets.UTF_8));
            Thread.sleep(50);
        }
    }

    static void pump(InputStream in, ByteArrayOutputStream out) {
        Thread thread = new Thread(() -> {
            try {
                in.transferTo(out);
            } catch (java.io.IOException e) {
                // the process is gone
            }
        });
        thread.setDaemon(true);
        thread.start();
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static void awaitListening(int port, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, "the bastion did not start: " + Files.readString(log));
                Thread.sleep(100);
            }
        }
    }
}
