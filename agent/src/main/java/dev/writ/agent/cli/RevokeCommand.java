package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.protocol.api.NewRevocation;
import dev.writ.protocol.api.RevocationResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code writ revoke --serial N | --key-id ID | --key FILE | --identity EMAIL | --grant ID --reason TEXT}:
 * a writ admin revokes certificates ({@code POST /v1/revocations}). The CA adds them to its KRL,
 * which sshd ({@code RevokedKeys}) and the bastion read; the bastion closes their sessions within
 * seconds.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke certificates or a key (writ admins); the bastion closes their sessions.")
public final class RevokeCommand implements Callable<Integer> {

    /** Exactly one of them. */
    static final class What {
        @Option(names = "--serial", required = true, paramLabel = "N",
                description = "One certificate, by its serial (ssh-keygen -L shows it).")
        String serial;

        @Option(names = "--key-id", required = true, paramLabel = "ID",
                description = "Every certificate with this key id (writ puts the identity there), now and later.")
        String keyId;

        @Option(names = "--key", required = true, paramLabel = "FILE",
                description = "A public key or certificate file (id_ed25519.pub, id_ed25519-cert.pub): the key, plain or certified.")
        Path key;

        @Option(names = "--identity", required = true, paramLabel = "EMAIL",
                description = "Every certificate issued to this identity that has not expired.")
        String identity;

        @Option(names = "--grant", required = true, paramLabel = "ID",
                description = "The certificates that carry this access grant; the grant ends.")
        String grant;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why; kept in the audit log.")
    String reason;

    @Option(names = "--json", description = "Print the CA's answer as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final Client client;

    public RevokeCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        NewRevocation revocation = revocation();
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        RevocationResult result = client.certifier(Http.REQUEST_TIMEOUT).asUser(idToken -> ca.revoke(idToken, revocation));
        if (json) {
            client.env().out().println(AccessRequestText.json(result));
        } else {
            print(result, client.env().out());
        }
        return Exit.OK.code();
    }

    private NewRevocation revocation() throws WritException {
        if (what.serial != null) {
            String serial = what.serial.strip();
            if (!serial.matches("[0-9]{1,20}") || !validSerial(serial)) {
                throw new ParameterException(spec.commandLine(), "--serial: '" + what.serial + "' is not a certificate"
                        + " serial: an unsigned decimal number, as ssh-keygen -L prints it");
            }
            return NewRevocation.serial(serial, reason);
        }
        if (what.keyId != null) {
            return NewRevocation.keyId(what.keyId, reason);
        }
        if (what.key != null) {
            return NewRevocation.publicKey(keyLine(what.key), reason);
        }
        if (what.identity != null) {
            return NewRevocation.identity(what.identity, reason);
        }
        return NewRevocation.grant(what.grant, reason);
    }

    private static boolean validSerial(String serial) {
        try {
            return Long.parseUnsignedLong(serial) != 0;
        } catch (NumberFormatException tooLarge) {
            return false;
        }
    }

    /** The first line of the file that is not blank or a comment: the key or certificate the CA parses. */
    private static String keyLine(Path file) throws WritException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot read the key file " + file + ": " + e.getMessage(), e);
        }
        return lines.stream().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).findFirst()
                .orElseThrow(() -> new WritException(Exit.LOCAL_FILES, "the key file " + file + " holds no public key"));
    }

    /** One labelled line per fact, like {@code writ request}. */
    static void print(RevocationResult r, PrintWriter out) {
        line(out, "revoked", what(r));
        line(out, "reason", r.reason());
        List<RevocationResult.Certificate> certificates = r.certificates();
        if (certificates.isEmpty()) {
            line(out, "certificates", "none that has not expired");
        }
        for (int i = 0; i < certificates.size(); i++) {
            RevocationResult.Certificate c = certificates.get(i);
            line(out, i == 0 ? "certificates" : "", c.serial() + "  " + c.kind() + "  " + c.identity() + "  "
                    + String.join(",", c.principals()) + "  until " + dev.writ.agent.Instants.seconds(c.validBefore()));
        }
        if (r.grantEnded() != null) {
            line(out, "grant", r.grantEnded() ? "ended now" : "had ended already");
        }
        line(out, "krl", "version " + r.krlVersion() + (r.added() == 0 ? ", nothing new (revoked already)"
                : ", " + r.added() + (r.added() == 1 ? " entry" : " entries") + " added"));
    }

    /** What was revoked, in a phrase: {@code serial 123}, {@code key id alice@example.com}, {@code 2 certificates of ...}. */
    static String what(RevocationResult r) {
        return switch (r.kind()) {
            case "serial" -> "certificate " + String.join(", ", r.serials()) + " (by serial)";
            case "key_id" -> "key id " + r.keyId() + " (every certificate with it, also later ones)";
            case "public_key" -> "key " + r.keyFingerprint() + " (plain or in any certificate)";
            case "identity" -> count(r.serials()) + " of " + r.identity() + " (by serial)";
            case "grant" -> count(r.serials()) + " of grant " + r.grant() + " (by serial)";
            default -> r.kind();
        };
    }

    private static String count(List<String> serials) {
        int n = serials == null ? 0 : serials.size();
        return n + (n == 1 ? " certificate" : " certificates");
    }

    private static void line(PrintWriter out, String label, String value) {
        out.printf("%-15s%s%n", label, value.replaceAll("\\p{Cntrl}", " "));
    }
}
