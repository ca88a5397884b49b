package dev.writ.bastion.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.TestCa;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An engineer with the real OpenSSH client: a key, a certificate, an ssh_config naming them and
 * a known_hosts file with the CA's {@code @cert-authority} line, so nothing is ever prompted.
 * The config is a file (not -o options) because {@code ssh -J} applies -o options to the
 * destination only, while the jump connection reads the same file.
 */
public final class Engineer {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path key;
    private final Path certificate;
    private final Path config;

    private Engineer(Path dir, Path key, Path certificate, Path config) {
        this.dir = dir;
        this.key = key;
        this.certificate = certificate;
        this.config = config;
    }

    /** A fresh key and a certificate for it from the CA, for the holder of {@code idToken}. */
    public static Engineer login(Path dir, TestCa ca, String idToken, String requestExtras) throws Exception {
        Files.createDirectories(dir);
        Path key = newKey(dir.resolve("id_ed25519"));
        String publicKey = Files.readString(Path.of(key + ".pub")).strip();
        HttpResponse<String> response = ca.post("/v1/certs/user", idToken,
                "{\"public_key\":" + JSON.writeValueAsString(publicKey) + requestExtras + "}");
        if (response.statusCode() != 201) {
            throw new IllegalStateException("the CA refused a certificate: " + response.body());
        }
        JsonNode answer = JSON.readTree(response.body());
        Path certificate = Files.writeString(Path.of(key + "-cert.pub"), answer.get("certificate").asText() + "\n");
        return withCertificate(dir, ca, key, certificate);
    }

    /** An engineer holding a given key and certificate (crafted ones, for refusals). */
    public static Engineer withCertificate(Path dir, TestCa ca, Path key, Path certificate) throws Exception {
        Files.createDirectories(dir);
        Path knownHosts = Files.writeString(dir.resolve("known_hosts"), ca.get("/v1/ca/known_hosts").body());
        Path config = Files.writeString(dir.resolve("ssh_config"), """
                Host *
                    IdentityFile %s
                    CertificateFile %s
                    IdentitiesOnly yes
                    IdentityAgent none
                    UserKnownHostsFile %s
                    GlobalKnownHostsFile /dev/null
                    StrictHostKeyChecking yes
                    BatchMode yes
                    LogLevel ERROR
                    ConnectTimeout 10
                """.formatted(key, certificate, knownHosts));
        return new Engineer(dir, key, certificate, config);
    }

    /** A new Ed25519 key from the real ssh-keygen. */
    public static Path newKey(Path file) throws IOException, InterruptedException {
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file.toString()));
        if (keygen.exitCode() != 0) {
            throw new IllegalStateException("ssh-keygen failed: " + keygen.output());
        }
        return file;
    }

    public Path key() {
        return key;
    }

    public Path certificate() {
        return certificate;
    }

    public Path config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    /** {@code ssh -p PORT [options] login@target@127.0.0.1}: the bastion routes by user name; append the command. */
    public List<String> direct(int bastionPort, String login, String target, String... options) {
        List<String> command = new ArrayList<>(List.of("ssh", "-F", config.toString(), "-p", Integer.toString(bastionPort)));
        command.addAll(List.of(options));
        command.add(login + "@" + target + "@127.0.0.1");
        return command;
    }

    /** {@code ssh -J jump@127.0.0.1:PORT [options] login@target}: ProxyJump through the bastion; append the command. */
    public List<String> jump(int bastionPort, String login, String target, String... options) {
        List<String> command = new ArrayList<>(List.of("ssh", "-F", config.toString(), "-J", "jump@127.0.0.1:" + bastionPort));
        command.addAll(List.of(options));
        command.add(login + "@" + target);
        return command;
    }

    /** The same with a remote command. */
    public static List<String> with(List<String> command, String... remote) {
        List<String> all = new ArrayList<>(command);
        all.addAll(List.of(remote));
        return all;
    }

    /** Runs a command (stdin closed), waiting at most {@code seconds}. */
    public static Processes.Result run(List<String> command, int seconds) throws IOException, InterruptedException {
        return Processes.run(command, seconds);
    }
}
