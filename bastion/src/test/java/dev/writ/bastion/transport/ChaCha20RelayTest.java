package dev.writ.bastion.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.testing.Engineer;
import dev.writ.bastion.testing.RunningBastion;
import dev.writ.bastion.testing.Target;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenSSH client and sshd speak chacha20-poly1305@openssh.com with the bastion on both legs: the client
 * asks for it, the target's sshd allows nothing else. A few MiB go each way and come out unchanged.
 */
class ChaCha20RelayTest {

    static final String LOGIN = Sshd.currentUser();
    static final String CHACHA = "chacha20-poly1305@openssh.com";
    static final int SIZE = 4 << 20;

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestCa ca;
    static Sshd web01;
    static RunningBastion bastion;
    static Engineer alice;
    static Path data;
    static String dataSha256;

    @BeforeAll
    static void start() throws Exception {
        idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["%s"]
                    targets: [ { hosts: ["web*"] } ]
                    max_ttl: 8h
                """.formatted(LOGIN), Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*")));
        web01 = Target.start(dir.resolve("web01"), ca, "web01", "Ciphers " + CHACHA);
        bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), """
                targets:
                  - name: web01
                    address: 127.0.0.1:%d
                """.formatted(web01.port()));
        alice = Engineer.login(dir.resolve("alice"), ca, idp.idToken("alice@example.com", List.of("engineering")), "");
        byte[] bytes = new byte[SIZE];
        new Random(42).nextBytes(bytes);
        data = dir.resolve("data.bin");
        Files.write(data, bytes);
        dataSha256 = sha256(bytes);
    }

    @AfterAll
    static void stop() {
        if (bastion != null) {
            bastion.close();
        }
        if (web01 != null) {
            web01.close();
        }
        if (ca != null) {
            ca.close();
        }
        if (idp != null) {
            idp.close();
        }
    }

    @Test
    void uploadsAndDownloadsIntactByUserName() throws Exception {
        List<String> ssh = alice.direct(bastion.port(), LOGIN, "web01", "-v", "-o", "Ciphers=" + CHACHA);
        Transfer up = transfer(Engineer.with(ssh, "sha256sum"), data);
        assertEquals(0, up.exit(), up.log() + web01.log());
        assertTrue(new String(up.output(), StandardCharsets.US_ASCII).startsWith(dataSha256), up.log());
        assertTrue(up.log().contains("kex: client->server cipher: " + CHACHA), up.log());

        Transfer down = transfer(Engineer.with(ssh, "cat " + data), null);
        assertEquals(0, down.exit(), down.log());
        assertEquals(SIZE, down.output().length);
        assertEquals(dataSha256, sha256(down.output()));
        assertTrue(down.log().contains("kex: server->client cipher: " + CHACHA), down.log());
    }

    @Test
    void theOpenSshClientsDefaultsChooseItOnBothHopsOfProxyJump() throws Exception {
        List<String> ssh = alice.jump(bastion.port(), LOGIN, "web01", "-v");
        Transfer down = transfer(Engineer.with(ssh, "cat " + data), null);
        assertEquals(0, down.exit(), down.log());
        assertEquals(dataSha256, sha256(down.output()));
        // the outer hop's ssh logs to the same stderr: both negotiations name chacha20-poly1305
        assertTrue(down.log().split("kex: server->client cipher: " + CHACHA, -1).length - 1 >= 2, down.log());
    }

    record Transfer(int exit, byte[] output, String log) {
    }

    static Transfer transfer(List<String> command, Path stdin) throws Exception {
        List<String> all = new ArrayList<>(command);
        ProcessBuilder builder = new ProcessBuilder(all);
        builder.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                : ProcessBuilder.Redirect.from(stdin.toFile()));
        Process process = builder.start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
        byte[] out = readAll(process.getInputStream());
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ssh did not finish in 120 s: " + String.join(" ", all));
        }
        return new Transfer(process.exitValue(), out, new String(err.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    static byte[] readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
