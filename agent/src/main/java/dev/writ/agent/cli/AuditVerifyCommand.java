package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.AuditFilter;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.identity.Certifier;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditChain.Verification;
import dev.writ.protocol.audit.AuditRecord;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code writ audit verify}: downloads the whole audit log page by page and re-checks its hash
 * chain here, with the same {@link AuditChain} the CA uses, so that a CA (or a store) that was
 * tampered with cannot simply say "ok"; then asks the CA's own check, which also compares the
 * chain with the head it records (events cut from the end). Exit 16 when either finds it broken.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check the audit log's hash chain, here and at the CA (auditors only).")
public final class AuditVerifyCommand implements Callable<Integer> {

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

    /** What the local check found: how many events followed the chain, and the first break if any. */
    private record Local(long events, Verification broken, AuditRecord brokenEvent) {
    }

    @Override
    public Integer call() throws WritException {
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        Certifier user = client.certifier(Http.REQUEST_TIMEOUT);
        Local local = checkHere(ca, user);
        Verification remote = user.asUser(ca::verifyAudit);
        if (local.broken() != null) {
            Verification broken = local.broken();
            String atTheCa = remote.ok() ? "yet the CA's own check passes, so what it served is not what it stores"
                    : broken.brokenAt().equals(remote.brokenAt()) ? "the CA's own check agrees"
                    : "the CA's own check finds event " + remote.brokenAt() + " first: " + remote.problem();
            throw new WritException(Exit.AUDIT_BROKEN, "audit log broken at event " + broken.brokenAt()
                    + describe(local.brokenEvent()) + ": " + broken.problem() + "; " + atTheCa);
        }
        if (!remote.ok()) {
            throw new WritException(Exit.AUDIT_BROKEN, "audit log broken at event " + remote.brokenAt()
                    + " by the CA's own check: " + remote.problem() + " (the " + local.events()
                    + " events it served follow their chain)");
        }
        client.env().out().println("audit log intact: " + local.events() + " events (hash chain checked here and by the CA)");
        return Exit.OK.code();
    }

    /** Every event from the first, page after page, each page continuing the chain of the one before. */
    private Local checkHere(CaClient ca, Certifier user) throws WritException {
        long checked = 0;
        long next = 1;
        String prevHash = AuditChain.GENESIS;
        while (true) {
            long after = next - 1;
            List<AuditRecord> page = user.asUser(idToken -> ca.auditEvents(idToken, AuditFilter.ALL, after, pageSize));
            Verification result = AuditChain.verifyFrom(page, next, prevHash);
            if (!result.ok()) {
                AuditRecord event = page.stream().filter(e -> e.seq() == result.brokenAt()).findFirst().orElse(null);
                return new Local(checked, result, event);
            }
            checked += page.size();
            if (page.size() < pageSize) {
                return new Local(checked, null, null);
            }
            AuditRecord last = page.get(page.size() - 1);
            next = last.seq() + 1;
            prevHash = last.hash();
        }
    }

    /** {@code (2026-11-18T09:00:00Z access.requested by alice@example.com)}, or nothing for a missing event. */
    private static String describe(AuditRecord event) {
        return event == null ? "" : " (" + dev.writ.agent.Instants.seconds(event.at()) + " " + event.type() + " by " + event.actor().replaceAll("\\p{Cntrl}", " ") + ")";
    }
}
