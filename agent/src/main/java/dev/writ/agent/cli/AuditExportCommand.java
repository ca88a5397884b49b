package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Times;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.identity.Certifier;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code writ audit export}: fetches an evidence bundle of a time range from the CA
 * ({@code GET /v1/audit/export}), checks it here as an outside auditor would, and only then gives
 * it its name. An existing file is never replaced. The bundle is kept when its check fails: it is
 * the evidence.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write an evidence bundle of the audit log (auditors only), checkable offline with writ audit verify --bundle.")
public final class AuditExportCommand implements Callable<Integer> {

    @Option(names = "--since", required = true, paramLabel = "TIME", description = "Events at or after this time: RFC 3339 or relative (-7d).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Events before this time (default: now).")
    String until;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The bundle to write; must not exist.")
    Path output;

    @Option(names = "--audit-key-id", paramLabel = "SHA256:...",
            description = "Fail unless the bundle is signed by the audit key with this fingerprint (obtained out of band).")
    String auditKeyId;

    @Spec
    CommandSpec spec;

    private final Client client;

    public AuditExportCommand(Client client) {
        this.client = client;
    }

    @Override
    public Integer call() throws WritException {
        Instant from = time("--since", since);
        Instant to = time("--until", until);
        if (Files.exists(output)) {
            throw new WritException(Exit.LOCAL_FILES, output + " exists; an evidence bundle never replaces a file");
        }
        Path dir = output.toAbsolutePath().getParent();
        Path part;
        try {
            part = Files.createTempFile(dir, "." + output.getFileName(), ".part",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.delete(part); // created again, empty, by the download
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write in " + dir + ": " + e.getMessage(), e);
        }
        try {
            CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
            Certifier user = client.certifier(Http.REQUEST_TIMEOUT);
            user.asUser(idToken -> {
                try {
                    Files.deleteIfExists(part); // a refused first try leaves nothing, but be sure
                } catch (IOException e) {
                    throw new WritException(Exit.LOCAL_FILES, "cannot write " + part + ": " + e.getMessage(), e);
                }
                ca.exportAudit(idToken, from, to, part);
                return null;
            });
            WritException broken = null;
            String summary = null;
            try {
                summary = BundleCheck.summary(BundleCheck.check(part, output, auditKeyId, client.env().out()));
            } catch (WritException e) {
                if (e.exit() != Exit.AUDIT_BROKEN) {
                    throw e;
                }
                broken = e;
            }
            move(part, output);
            if (broken != null) {
                throw new WritException(Exit.AUDIT_BROKEN, "wrote " + output + ", but it does not verify: " + broken.getMessage());
            }
            client.env().out().println("wrote " + output + ": " + summary);
            return Exit.OK.code();
        } catch (IOException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot write " + output + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // a leftover .part file is harmless and named as such
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private Instant time(String option, String text) {
        if (text == null) {
            return null;
        }
        return Times.parse(text, client.env().clock()).orElseThrow(() -> new ParameterException(spec.commandLine(),
                option + ": '" + text + "' is not " + Times.EXPECTED));
    }
}
