package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.audit.EvidenceBundle;
import dev.writ.protocol.audit.EvidenceBundle.UnreadableBundle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The offline check of an evidence bundle, shared by {@code writ audit verify --bundle} and
 * {@code writ audit export} (which checks what it wrote): a file that cannot be read is
 * {@link Exit#LOCAL_FILES}, one that is not a whole bundle {@link Exit#BUNDLE_UNREADABLE}, a
 * bundle whose chain or checkpoints do not hold {@link Exit#AUDIT_BROKEN} with the first bad
 * sequence number.
 */
final class BundleCheck {

    private BundleCheck() {
    }

    /** Checks {@code file} ({@code name} in messages); throws unless it is intact and, when {@code expectedKeyId} is given, signed by that key. */
    static EvidenceBundle.Result check(Path file, Object name, String expectedKeyId, PrintWriter out) throws WritException {
        EvidenceBundle.Result result;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            result = EvidenceBundle.verify(in);
        } catch (NoSuchFileException e) {
            throw new WritException(Exit.LOCAL_FILES, "cannot read " + name + ": no such file", e);
        } catch (IOException e) {
            throw new WritException(e instanceof java.nio.charset.CharacterCodingException ? Exit.BUNDLE_UNREADABLE
                    : Exit.LOCAL_FILES, "cannot read " + name + ": " + e.getMessage(), e);
        } catch (UnreadableBundle e) {
            throw new WritException(Exit.BUNDLE_UNREADABLE, name + " is not a whole evidence bundle: " + e.getMessage(), e);
        }
        String keyId = result.header().auditKeyId();
        out.println("audit key " + keyId + " (compare it with the fingerprint obtained from the CA's operator)");
        if (expectedKeyId != null && !expectedKeyId.equals(keyId)) {
            throw new WritException(Exit.AUDIT_BROKEN, name + " is signed by audit key " + keyId + ", not " + expectedKeyId);
        }
        if (!result.ok()) {
            throw new WritException(Exit.AUDIT_BROKEN, "bundle " + name + " broken at event "
                    + result.verification().brokenAt() + ": " + result.verification().problem());
        }
        return result;
    }

    /** {@code events 1 to 2000 (2000 events), 2 checkpoints, the newest signed at ...} */
    static String summary(EvidenceBundle.Result result) {
        AuditCheckpoint newest = result.newestCheckpoint();
        long events = result.verification().events();
        return events == 0 ? "no events" : "events " + result.header().firstSeq() + " to " + result.header().lastSeq()
                + " (" + events + " events), " + result.checkpoints() + " signed checkpoint"
                + (result.checkpoints() == 1 ? "" : "s") + ", the newest at " + (newest == null ? "-" : newest.at());
    }
}
