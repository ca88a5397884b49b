package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.config.ClientConfig;
import dev.writ.agent.config.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code writ config}: an ssh_config block that sends ssh to writ's agent, trusts the CA's host
 * keys ({@code @cert-authority} lines from the CA, kept in the config directory) and, when the CA
 * names a bastion, jumps through it. {@code --install} keeps the block in {@code ~/.ssh/config}
 * between marker lines, replacing it in place on later runs.
 */
@Command(name = "config", description = "Print (or --install) the ssh_config block for writ's agent, CA and bastion.")
public final class SshConfigCommand implements Callable<Integer> {

    static final String BEGIN = "# BEGIN writ";
    static final String END = "# END writ";

    @Option(names = "--install", description = "Write the block into ~/.ssh/config between '" + BEGIN + "' and '" + END + "'.")
    boolean install;

    @Option(names = "--hosts", paramLabel = "PATTERNS",
            description = "The ssh Host patterns that go through writ, separated by spaces (default: the targets the CA names;"
                    + " '*' when it names none and there is no bastion).")
    String hosts;

    private final Client client;

    public SshConfigCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        ClientConfig config = client.config();
        String routed = RoutedHosts.choose(hosts, config.bastion() != null,
                () -> client.ca(Http.REQUEST_TIMEOUT).loginConfig().targets(), config.ca());
        String knownHosts = client.ca(Http.REQUEST_TIMEOUT).knownHosts();
        Path knownHostsFile = client.files().knownHosts();
        try {
            SecureFiles.privateDirectory(knownHostsFile.getParent());
            SecureFiles.writePrivate(knownHostsFile, knownHosts.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write " + knownHostsFile + ": " + e.getMessage(), e);
        }
        String block = block(config, client.files().agentSocket(), knownHostsFile, client.env().home(), routed);
        if (!install) {
            client.env().out().print(block);
            return Exit.OK.code();
        }
        Path sshConfig = client.env().home().resolve(".ssh").resolve("config");
        try {
            boolean changed = installInto(sshConfig, block);
            client.env().out().println(changed ? "Wrote the writ block into " + sshConfig + "."
                    : "The writ block in " + sshConfig + " is up to date.");
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot update " + sshConfig + ": " + e.getMessage(), e);
        }
        return Exit.OK.code();
    }

    /** The block, marker lines included. */
    static String block(ClientConfig config, Path agentSocket, Path knownHostsFile, Path home, String hosts) {
        List<String> lines = new ArrayList<>();
        lines.add(BEGIN);
        lines.add("# Written by writ for the CA at " + config.ca() + "; writ config --install rewrites it.");
        String identityAgent = "    IdentityAgent " + quoted(agentSocket.toString());
        // the CA's host keys first, then the user's own known hosts for everything else
        String userKnownHosts = "    UserKnownHostsFile " + quoted(knownHostsFile.toString()) + " "
                + quoted(home.resolve(".ssh/known_hosts").toString());
        if (config.bastion() != null) {
            Bastion bastion = Bastion.parse(config.bastion());
            lines.add("Host " + bastion.host());
            if (bastion.port() != null) {
                lines.add("    Port " + bastion.port());
            }
            lines.add(identityAgent);
            lines.add(userKnownHosts);
            lines.add("Host " + hosts + " !" + bastion.host());
            lines.add("    ProxyJump " + bastion.host());
        } else {
            lines.add("Host " + hosts);
        }
        lines.add(identityAgent);
        lines.add(userKnownHosts);
        lines.add(END);
        return String.join("\n", lines) + "\n";
    }

    /** Replaces the marked block, or appends one; false when the file already held exactly this block. */
    static boolean installInto(Path sshConfig, String block) throws IOException {
        Path sshDir = sshConfig.getParent();
        if (!Files.isDirectory(sshDir)) {
            SecureFiles.privateDirectory(sshDir);
        }
        String before = Files.exists(sshConfig) ? Files.readString(sshConfig) : "";
        String after;
        int begin = before.indexOf(BEGIN + "\n");
        int end = before.indexOf(END + "\n", Math.max(begin, 0));
        if (begin >= 0 && end > begin) {
            after = before.substring(0, begin) + block + before.substring(end + END.length() + 1);
        } else {
            String separator = before.isEmpty() ? "" : before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
            after = before + separator + block;
        }
        if (after.equals(before)) {
            return false;
        }
        var mode = Files.exists(sshConfig) ? Files.getPosixFilePermissions(sshConfig) : PosixFilePermissions.fromString("rw-------");
        SecureFiles.write(sshConfig, after.getBytes(StandardCharsets.UTF_8), mode);
        return true;
    }

    private static String quoted(String path) {
        return path.matches("[A-Za-z0-9_./@%+=:,~-]+") ? path : "\"" + path + "\"";
    }

    /** {@code host:port}, {@code host}, or {@code [v6]:port}, as the CA's login config names the bastion. */
    record Bastion(String host, Integer port) {
        static Bastion parse(String text) {
            String host = text;
            String port = null;
            int colon = text.indexOf(':');
            if (text.startsWith("[") && text.contains("]")) { // [v6] or [v6]:port
                int close = text.indexOf(']');
                host = text.substring(1, close);
                port = text.startsWith(":", close + 1) ? text.substring(close + 2) : null;
            } else if (colon > 0 && colon == text.lastIndexOf(':')) { // host:port; a bare v6 address has several colons
                host = text.substring(0, colon);
                port = text.substring(colon + 1);
            }
            return new Bastion(host, port != null && port.matches("\\d{1,5}") ? Integer.valueOf(port) : null);
        }
    }
}
