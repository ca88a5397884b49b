package dev.writ.e2e.bastion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.Stack;
import dev.writ.ca.testing.Processes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A role's {@code commands}, {@code files}, {@code forwards} and {@code require_recording},
 * enforced by the bastion on what the real OpenSSH {@code ssh}, {@code scp}, {@code sftp} and
 * {@code rsync} ask of a real sshd, both ways through the bastion: what is allowed works, what is
 * refused does nothing on the target, says why, and is audited; every file operation over sftp is
 * a marker an auditor finds by searching.
 */
class ChannelPolicyTest {

    static final String LOGIN = Stack.LOGIN;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path files;
    static Stack stack;
    static Engineer deployer;
    static Engineer recorded;
    static Engineer keeper;
    static String auditor;
    static ServerSocket allowedService;
    static ServerSocket otherService;

    @BeforeAll
    static void start() throws Exception {
        files = Files.createDirectories(dir.resolve("files"));
        Files.createDirectories(files.resolve("up"));
        Files.writeString(files.resolve("notes.txt"), "notes-content\n");
        Files.writeString(files.resolve("secret.txt"), "secret-content\n");
        Files.writeString(files.resolve("keep.txt"), "keep\n");
        allowedService = serve("hello-from-allowed");
        otherService = serve("hello-from-other");
        String policy = """
                roles:
                  - name: deployer
                    match: { groups: [deployers] }
                    principals: ["%1$s"]
                    targets: [ { hosts: ["web*"] } ]
                    max_ttl: 1h
                    extensions: [permit-pty, permit-port-forwarding]
                    commands:
                      allow: ["echo *", "scp -f *", "rsync --server --sender *"]
                      deny: ["*secret*"]
                    files:
                      allow:
                        read: ["FILES", "FILES/*"]
                        write: ["FILES/up/*"]
                        remove: ["FILES/up/*"]
                        rename: ["FILES/up/*"]
                      deny:
                        read: ["*/secret*"]
                    forwards:
                      allow: ["127.0.0.1:ALLOWED"]
                  - name: recorded
                    match: { groups: [recorded] }
                    principals: ["%1$s"]
                    targets: [ { hosts: ["web*"] } ]
                    max_ttl: 1h
                    extensions: [permit-port-forwarding]
                    recording: strict
                    require_recording: true
                  - name: keeper
                    match: { groups: [keepers] }
                    principals: ["%1$s"]
                    targets: [ { hosts: ["web*"] } ]
                    max_ttl: 1h
                    extensions: [permit-pty]
                    recording: strict
                    record_input: true
                auditors:
                  - match: { groups: [security] }
                """.replace("FILES", files.toString()).replace("ALLOWED", Integer.toString(allowedService.getLocalPort()));
        stack = Stack.start(dir, policy, List.of("web01"), List.of("Subsystem other /bin/cat"), "", null);
        deployer = stack.engineer("deployer", List.of("deployers"), "");
        recorded = stack.engineer("rita", List.of("recorded"), "");
        keeper = stack.engineer("kim", List.of("keepers"), "");
        auditor = stack.idp.idToken("hal@example.com", List.of("security"));
    }

    @AfterAll
    static void stop() throws IOException {
        if (stack != null) {
            stack.close();
        }
        if (allowedService != null) {
            allowedService.close();
            otherService.close();
        }
    }

    @Nested
    class Commands {

        @ParameterizedTest
        @EnumSource(Route.class)
        void anAllowedCommandRuns(Route route) throws Exception {
            Processes.Result result = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                    "--", "echo allowed-$((6*7))"), 30);
            assertEquals(0, result.exitCode(), result.output());
            assertEquals("allowed-42", result.output().strip());
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void aRefusedCommandRunsNothingSaysWhyAndIsAudited(Route route) throws Exception {
            Path marker = dir.resolve("ran-" + route);
            long before = refusals("command_not_allowed");
            Processes.Result result = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                    "--", "touch " + marker), 30);
            assertEquals(126, result.exitCode(), result.output());
            assertTrue(result.output().contains("writ: role deployer does not allow the command 'touch " + marker
                    + "' (command matches no allowed pattern)"), result.output());
            assertFalse(Files.exists(marker), "the refused command ran");
            awaitRefusals("command_not_allowed", before + 1);
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void aDenyPatternWinsOverAnAllowedOne(Route route) throws Exception {
            Processes.Result result = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                    "--", "echo secret"), 30);
            assertEquals(126, result.exitCode(), result.output());
            assertTrue(result.output().contains("command matches deny pattern '*secret*'"), result.output());
        }

        @Test
        void aShellIsStillAllowedWithoutShellFalse() throws Exception {
            Processes.Result result = Shell.run(Route.DIRECT.ssh(deployer, stack.bastion.port(), LOGIN, "web01", "-tt"),
                    "echo typed-$((6*7))\nexit\n", 30);
            assertTrue(result.output().contains("typed-42"), result.output());
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void scpInItsOldModeMayDownloadButNotUpload(Route route) throws Exception {
            Path local = dir.resolve("scp-" + route);
            Files.createDirectories(local);
            List<String> download = route.copyTool("scp", deployer, stack.bastion.port());
            download.addAll(List.of("-O", route.host(LOGIN, "web01") + ":" + files.resolve("notes.txt"),
                    local.resolve("notes.txt").toString()));
            Processes.Result got = Processes.run(download, 30);
            assertEquals(0, got.exitCode(), got.output());
            assertEquals("notes-content\n", Files.readString(local.resolve("notes.txt")));

            List<String> upload = route.copyTool("scp", deployer, stack.bastion.port());
            upload.addAll(List.of("-O", local.resolve("notes.txt").toString(),
                    route.host(LOGIN, "web01") + ":" + files.resolve("up/scp-" + route + ".txt")));
            Processes.Result put = Processes.run(upload, 30);
            assertTrue(put.exitCode() != 0, put.output());
            assertTrue(put.output().contains("writ: role deployer does not allow the command 'scp -t"), put.output());
            assertFalse(Files.exists(files.resolve("up/scp-" + route + ".txt")));
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void rsyncMayDownloadButNotUpload(Route route) throws Exception {
            Path local = dir.resolve("rsync-" + route);
            Files.createDirectories(local);
            // ssh -F CONFIG -p PORT, or ssh -F CONFIG -J JUMP: everything but the destination
            String ssh = String.join(" ", route.ssh(deployer, stack.bastion.port(), LOGIN, "web01").subList(0, 5));
            String remote = route == Route.DIRECT ? LOGIN + "@web01@127.0.0.1" : LOGIN + "@web01";
            Processes.Result got = Processes.run(List.of("rsync", "-e", ssh, remote + ":" + files.resolve("notes.txt"),
                    local + "/"), 30);
            assertEquals(0, got.exitCode(), got.output());
            assertEquals("notes-content\n", Files.readString(local.resolve("notes.txt")));

            Processes.Result put = Processes.run(List.of("rsync", "-e", ssh, local.resolve("notes.txt").toString(),
                    remote + ":" + files.resolve("up") + "/rsync-" + route + ".txt"), 30);
            assertTrue(put.exitCode() != 0, put.output());
            assertTrue(put.output().contains("writ: role deployer does not allow the command 'rsync --server"), put.output());
            assertFalse(Files.exists(files.resolve("up/rsync-" + route + ".txt")));
        }
    }

    @Nested
    class Sftp {

        @ParameterizedTest
        @EnumSource(Route.class)
        void putGetRenameAndRemoveWhereAllowedAndTheMarkersAreFound(Route route) throws Exception {
            Path local = Files.createDirectories(dir.resolve("sftp-ok-" + route));
            Files.writeString(local.resolve("upload.txt"), "uploaded-" + route + "\n");
            String up = files.resolve("up").toString();
            Processes.Result result = sftp(route, """
                    cd %1$s
                    get %2$s/notes.txt %3$s/notes.txt
                    put %3$s/upload.txt %1$s/first-%4$s.txt
                    rename first-%4$s.txt second-%4$s.txt
                    put %3$s/upload.txt %1$s/gone-%4$s.txt
                    rm gone-%4$s.txt
                    """.formatted(up, files, local, route));
            assertEquals(0, result.exitCode(), result.output());
            assertEquals("notes-content\n", Files.readString(local.resolve("notes.txt")));
            assertEquals("uploaded-" + route + "\n", Files.readString(files.resolve("up/second-" + route + ".txt")));
            assertFalse(Files.exists(files.resolve("up/gone-" + route + ".txt")));

            JsonNode found = awaitRecording("sftp: remove " + up + "/gone-" + route + ".txt");
            assertEquals("sftp: remove " + up + "/gone-" + route + ".txt", found.get("hits").get(0).get("snippet").asText());
            awaitRecording("sftp: rename " + up + "/first-" + route + ".txt -> " + up + "/second-" + route + ".txt");
            awaitRecording("sftp: read " + files + "/notes.txt");
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void refusedOperationsChangeNothingAreDeniedToTheClientAndAudited(Route route) throws Exception {
            Path local = Files.createDirectories(dir.resolve("sftp-refused-" + route));
            Files.writeString(local.resolve("upload.txt"), "nope\n");
            long before = refusals("file_operation_not_allowed");
            Processes.Result result = sftp(route, """
                    -get %1$s/secret.txt %2$s/secret.txt
                    -get %1$s/up/../secret.txt %2$s/secret2.txt
                    -put %2$s/upload.txt %1$s/planted-%3$s.txt
                    -rm %1$s/keep.txt
                    -rename %1$s/keep.txt %1$s/up/stolen-%3$s.txt
                    """.formatted(files, local, route));
            assertTrue(result.output().contains("Permission denied"), result.output());
            assertFalse(Files.exists(local.resolve("secret.txt")));
            assertFalse(Files.exists(local.resolve("secret2.txt")));
            assertFalse(Files.exists(files.resolve("planted-" + route + ".txt")));
            assertTrue(Files.exists(files.resolve("keep.txt")));
            assertFalse(Files.exists(files.resolve("up/stolen-" + route + ".txt")));
            awaitRefusals("file_operation_not_allowed", before + 5);
            awaitRecording("sftp: refused remove " + files + "/keep.txt");
        }
    }

    @Nested
    class Forwards {

        @ParameterizedTest
        @EnumSource(Route.class)
        void reachesAnAllowedDestinationOnly(Route route) throws Exception {
            Processes.Result allowed = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                    "-W", "127.0.0.1:" + allowedService.getLocalPort()), 30);
            assertTrue(allowed.output().contains("hello-from-allowed"), allowed.output());

            long before = refusals("forward_destination_not_allowed");
            Processes.Result refused = Processes.run(route.ssh(deployer, stack.bastion.port(), LOGIN, "web01",
                    "-W", "127.0.0.1:" + otherService.getLocalPort()), 30);
            assertFalse(refused.output().contains("hello-from-other"), refused.output());
            // the open failure's text (administratively prohibited: writ: ...) is shown at LogLevel INFO; these run at ERROR
            assertEquals(255, refused.exitCode(), refused.output());
            assertTrue(refused.output().contains("stdio forwarding failed"), refused.output());
            awaitRefusals("forward_destination_not_allowed", before + 1);
        }

        @Test
        void aLocalForwardToARefusedDestinationGetsNothing() throws Exception {
            int port;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = free.getLocalPort();
            }
            Process ssh = new ProcessBuilder(Route.DIRECT.ssh(deployer, stack.bastion.port(), LOGIN, "web01", "-N",
                    "-L", "127.0.0.1:" + port + ":127.0.0.1:" + otherService.getLocalPort())).redirectErrorStream(true).start();
            try {
                String received = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (received == null && System.nanoTime() < deadline) {
                    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        socket.setSoTimeout(10_000);
                        received = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException notYetListening) {
                        Thread.sleep(100);
                    }
                }
                assertEquals("", received, "the forward reached the refused destination");
            } finally {
                ssh.destroy();
                ssh.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Nested
    class RecordOrRefuse {

        @ParameterizedTest
        @EnumSource(Route.class)
        void aSubsystemTheBastionCannotRecordIsRefused(Route route) throws Exception {
            long before = refusals("subsystem_not_recordable");
            Processes.Result result = Processes.run(route.ssh(recorded, stack.bastion.port(), LOGIN, "web01",
                    "-s", "--", "other"), 30);
            assertEquals(126, result.exitCode(), result.output());
            assertTrue(result.output().contains("writ: role recorded requires recording, and the bastion cannot record the"
                    + " subsystem 'other'"), result.output());
            awaitRefusals("subsystem_not_recordable", before + 1);
        }

        @ParameterizedTest
        @EnumSource(Route.class)
        void aForwardIsRefusedAsUnrecordable(Route route) throws Exception {
            long before = refusals("forward_not_recordable");
            Processes.Result result = Processes.run(route.ssh(recorded, stack.bastion.port(), LOGIN, "web01",
                    "-W", "127.0.0.1:" + allowedService.getLocalPort()), 30);
            assertFalse(result.output().contains("hello-from-allowed"), result.output());
            assertEquals(255, result.exitCode(), result.output());
            assertTrue(result.output().contains("stdio forwarding failed"), result.output());
            awaitRefusals("forward_not_recordable", before + 1);
        }

        @Test
        void sftpIsRecordedAndSoAllowed() throws Exception {
            List<String> command = Route.DIRECT.copyTool("sftp", recorded, stack.bastion.port());
            command.addAll(List.of("-b", "-", Route.DIRECT.host(LOGIN, "web01")));
            Processes.Result result = Shell.run(command, "ls " + files + "\n", 30);
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("notes.txt"), result.output());
        }
    }

    @Nested
    class RecordingsWithoutSecrets {

        @Test
        void aPasswordTypedWithTheEchoOffAndAnAccessKeyPrintedAreNotStoredNorIndexed() throws Exception {
            String command = "read -s -p 'Password: ' pw; echo; echo length-${#pw}; printf 'key AKIA%s\\n' IOSFODNN7EXAMPLE";
            Process ssh = new ProcessBuilder(Route.DIRECT.ssh(keeper, stack.bastion.port(), LOGIN, "web01", "-tt",
                    "--", command)).redirectErrorStream(true).start();
            StringBuffer screen = new StringBuffer();
            Thread pump = new Thread(() -> {
                byte[] buffer = new byte[4096];
                try {
                    for (int n; (n = ssh.getInputStream().read(buffer)) > 0; ) {
                        screen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // ssh ended
                }
            });
            pump.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!screen.toString().contains("Password:")) {
                    assertTrue(System.nanoTime() < deadline, "no password prompt: " + screen);
                    Thread.sleep(50);
                }
                ssh.getOutputStream().write("hunter2-writ\n".getBytes(StandardCharsets.UTF_8));
                ssh.getOutputStream().flush();
                assertTrue(ssh.waitFor(30, TimeUnit.SECONDS), "ssh did not end: " + screen);
                pump.join(5_000);
            } finally {
                ssh.destroyForcibly();
            }
            assertTrue(screen.toString().contains("length-12"), screen.toString());
            assertTrue(screen.toString().contains("key AKIAIOSFODNN7EXAMPLE"), "the engineer sees it: " + screen);

            JsonNode found = awaitRecording("length-12");
            String id = found.get("id").asText();
            HttpResponse<String> download = stack.ca.get("/v1/recordings/" + id, auditor);
            assertEquals(200, download.statusCode(), download.body());
            String stored = download.body();
            assertFalse(stored.contains("hunter2"), stored);
            assertFalse(stored.contains("AKIAIOSFODNN7EXAMPLE"), stored);
            assertTrue(stored.contains("key [redacted]"), stored);
            assertTrue(stored.contains("input_withheld"), stored);
            assertEquals("1", JSON.readTree(stored.lines().findFirst().orElseThrow()).get("writ").get("redactions").asText());
            for (String secret : List.of("hunter2", "AKIAIOSFODNN7EXAMPLE")) {
                JsonNode hits = JSON.readTree(stack.ca.get("/v1/recordings?q=" + secret, auditor).body()).get("recordings");
                assertEquals(0, hits.size(), secret + " is indexed: " + hits);
            }
            JsonNode verified = JSON.readTree(stack.ca.get("/v1/recordings/" + id + "/verify", auditor).body());
            assertTrue(verified.get("ok").asBoolean(), "the signed digest covers the stored file: " + verified);
        }
    }

    // --- helpers ---

    static Processes.Result sftp(Route route, String batch) throws Exception {
        Path file = Files.writeString(Files.createTempFile(dir, "batch", ".txt"), batch);
        List<String> command = new ArrayList<>(route.copyTool("sftp", deployer, stack.bastion.port()));
        command.addAll(List.of("-b", file.toString(), route.host(LOGIN, "web01")));
        return Processes.run(command, 60);
    }

    static long refusals(String reason) throws Exception {
        return stack.count("SELECT COUNT(*) FROM audit_events WHERE type = 'bastion.channel.refused'"
                + " AND details LIKE '%\"reason\":\"" + reason + "\"%'");
    }

    static void awaitRefusals(String reason, long atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (refusals(reason) < atLeast) {
            assertTrue(System.nanoTime() < deadline, "fewer than " + atLeast + " refusals for " + reason);
            Thread.sleep(100);
        }
    }

    static JsonNode awaitRecording(String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            HttpResponse<String> response = stack.ca.get("/v1/recordings?q="
                    + URLEncoder.encode(text, StandardCharsets.UTF_8), auditor);
            assertEquals(200, response.statusCode(), response.body());
            JsonNode found = JSON.readTree(response.body()).get("recordings");
            if (!found.isEmpty()) {
                return found.get(0);
            }
            assertTrue(System.nanoTime() < deadline, "no recording with '" + text + "'");
            Thread.sleep(200);
        }
    }

    /** A TCP service on loopback that says {@code greeting} to each connection and closes it. */
    static ServerSocket serve(String greeting) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
                    out.write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed, or the client went away
                }
            }
        }, "service-" + greeting);
        thread.setDaemon(true);
        thread.start();
        return server;
    }
}
