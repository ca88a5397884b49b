package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.AuditFilter;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.identity.Certifier;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditChain.Verification;
import dev.writ.protocol.audit.AuditCheckpoint;
import dev.writ.protocol.audit.AuditKey;
import dev.writ.protocol.audit.AuditRecord;
import dev.writ.protocol.audit.CheckpointedChain;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code writ audit verify}: downloads the whole audit log page by page and re-checks it here, so
 * that a CA (or a store) that was tampered with cannot simply say "ok": the hash chain with the
 * same {@link AuditChain} the CA uses, and every signed checkpoint (signed by the audit key, and
 * naming the hash the chain has at its event), which is what catches a chain recomputed after an
 * edit. Then asks the CA's own check, which also compares the chain with the head it records
 * (events cut from the end). Exit 16 when any of them finds it broken.
 *
 * <p>With {@code --bundle FILE} it checks an evidence bundle ({@code writ audit export}) offline
 * instead, without the CA: see {@link BundleCheck}.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check the audit log's hash chain and signed checkpoints, here and at the CA (auditors only),"
                + " or an evidence bundle offline (--bundle).")
public final class AuditVerifyCommand implements Callable<Integer> {

    @Option(names = "--bundle", paramLabel = "FILE", description = "Check this evidence bundle offline, without the CA.")
    Path bundle;

    @Option(names = "--audit-key-id", paramLabel = "SHA256:...",
            description = "Fail unless the checkpoints are signed by the audit key with this fingerprint (obtained out of band).")
    String auditKeyId;

    private final Client client;
    private final int pageSize;

    public AuditVerifyCommand(Client client) {
        this(client, AuditCommand.PAGE);
    }

    /** With smaller pages, for tests of the paging. */
    AuditVerifyCommand(Client client, int pageSize) {
        this.client = client;
        this.pageSize = pageSize;
    }

    /** What the local check found: how many events passed, the first break if any, and the checkpoints met. */
    private record Local(CheckpointedChain chain, long checkpoints, Verification broken, AuditRecord brokenEvent) {
    }

    @Override
    public Integer call() throws WritException {
        if (bundle != null) {
            var result = BundleCheck.check(bundle, bundle, auditKeyId, client.env().out());
            client.env().out().println("bundle intact: " + BundleCheck.summary(result));
            return Exit.OK.code();
        }
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        Certifier user = client.certifier(Http.REQUEST_TIMEOUT);
        AuditKey key = ca.auditKey();
        if (auditKeyId != null && !auditKeyId.equals(key.keyId())) {
            throw new WritException(Exit.AUDIT_BROKEN, "the CA's audit key is " + key.keyId() + ", not " + auditKeyId);
        }
        Local local = checkHere(ca, user, publicKey(key));
        Verification remote = user.asUser(ca::verifyAudit);
        if (local.broken() != null) {
            Verification broken = local.broken();
            String atTheCa = remote.ok() ? (local.chain().brokenByCheckpoint()
                    ? "the CA's own check passes, as it does for a chain recomputed after an edit: only the signed checkpoint tells"
                    : "yet the CA's own check passes, so what it served is not what it stores")
                    : broken.brokenAt().equals(remote.brokenAt()) ? "the CA's own check agrees"
                    : "the CA's own check finds event " + remote.brokenAt() + " first: " + remote.problem();
            throw new WritException(Exit.AUDIT_BROKEN, "audit log broken at event " + broken.brokenAt()
                    + describe(local.brokenEvent()) + ": " + broken.problem() + "; " + atTheCa);
        }
        long events = local.chain().checked();
        if (!remote.ok()) {
            throw new WritException(Exit.AUDIT_BROKEN, "audit log broken at event " + remote.brokenAt()
                    + " by the CA's own check: " + remote.problem() + " (the " + events
                    + " events it served follow their chain)");
        }
        if (local.chain().unmetCheckpoint() != null) {
            throw new WritException(Exit.AUDIT_BROKEN, "audit log broken at event " + (events + 1) + ": the log ends at event "
                    + events + " but a signed checkpoint names event " + local.chain().unmetCheckpoint()
                    + ": events were removed from the end");
        }
        AuditCheckpoint newest = local.chain().lastMatched();
        client.env().out().println("audit log intact: " + events + " events (hash chain checked here and by the CA; "
                + local.checkpoints() + " checkpoint" + (local.checkpoints() == 1 ? "" : "s") + " signed by audit key "
                + key.keyId() + (newest == null ? "" : ", the newest at event " + newest.seq()) + ")");
        return Exit.OK.code();
    }

    /** The checkpoints first (each names an event that exists by then), then every event from the first. */
    private Local checkHere(CaClient ca, Certifier user, PublicKey key) throws WritException {
        List<AuditCheckpoint> checkpoints = new ArrayList<>();
        while (true) {
            long after = checkpoints.isEmpty() ? 0 : checkpoints.get(checkpoints.size() - 1).seq();
            List<AuditCheckpoint> page = user.asUser(idToken -> ca.auditCheckpoints(idToken, after, pageSize));
            checkpoints.addAll(page);
            if (page.size() < pageSize) {
                break;
            }
        }
        CheckpointedChain chain = new CheckpointedChain(1, AuditChain.GENESIS, checkpoints, key);
        while (true) {
            long after = chain.lastSeq();
            List<AuditRecord> page = user.asUser(idToken -> ca.auditEvents(idToken, AuditFilter.ALL, after, pageSize));
            for (AuditRecord event : page) {
                Verification broken = chain.accept(event);
                if (broken != null) {
                    AuditRecord named = event.seq() == broken.brokenAt() ? event : null;
                    return new Local(chain, checkpoints.size(), broken, named);
                }
            }
            if (page.size() < pageSize) {
                return new Local(chain, checkpoints.size(), null, null);
            }
        }
    }

    private static PublicKey publicKey(AuditKey key) throws WritException {
        try {
            PublicKey parsed = PublicKeys.parse(key.key(), "audit key");
            if (!PublicKeys.fingerprint(parsed).equals(key.keyId())) {
                throw new WritException(Exit.CA_REFUSED, "the CA's audit key does not have the fingerprint it names");
            }
            return parsed;
        } catch (InvalidKeyException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA's audit key is unreadable: " + e.getMessage(), e);
        }
    }

    /** {@code (2026-11-18T09:00:00Z access.requested by alice@example.com)}, or nothing for a missing event. */
    private static String describe(AuditRecord event) {
        return event == null ? "" : " (" + dev.writ.agent.Instants.seconds(event.at()) + " " + event.type() + " by " + event.actor().replaceAll("\\p{Cntrl}", " ") + ")";
    }
}
