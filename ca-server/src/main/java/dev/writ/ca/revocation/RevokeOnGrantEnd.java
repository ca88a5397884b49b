package dev.writ.ca.revocation;

import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.RevocationTable;
import dev.writ.ca.store.RevocationTable.Entry;
import dev.writ.ca.store.StoreException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When an access grant ends (it reached its end, was dropped, or revoked), the certificates that
 * carry it are revoked by serial, so that {@code GET /v1/krl} lists them and bastions close the
 * sessions using them. Wired in {@code Main} as the access service's grant-ended listener.
 */
public final class RevokeOnGrantEnd implements GrantEndedListener {

    /** Who revokes: nobody asked, writ did. */
    static final String ACTOR = "writ";

    private static final Logger LOG = LoggerFactory.getLogger(RevokeOnGrantEnd.class);

    private final RevocationTable revocations;
    private final Clock clock;

    public RevokeOnGrantEnd(RevocationTable revocations, Clock clock) {
        this.revocations = revocations;
        this.clock = clock;
    }

    @Override
    public void grantEnded(String grantId, List<Long> serials, String reason) {
        if (serials.isEmpty()) {
            LOG.info("access grant {} ended ({}); no certificate carries it", grantId, reason);
            return;
        }
        String why = "grant ended: " + reason;
        Instant now = clock.instant();
        try {
            var revoked = revocations.revoke(serials.stream().map(Entry::serial).toList(), why, ACTOR, now,
                    r -> r.added().isEmpty() ? List.of() : List.of(event(grantId, why, r, now)));
            LOG.info("access grant {} ended ({}); revoked its certificates {} ({} newly), KRL version {}", grantId, reason,
                    serials.stream().map(Serials::format).toList(), revoked.added().size(), revoked.version());
        } catch (StoreException e) {
            // the certificates still end with the grant's end (valid_before never passes it); only an early end is at risk
            LOG.error("cannot revoke the certificates of ended access grant {} ({}): {}", grantId,
                    serials.stream().map(Serials::format).toList(), e.toString());
        }
    }

    private static AuditEvent event(String grantId, String why, RevocationTable.Revoked revoked, Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("kind", "grant");
        details.put("grant", grantId);
        details.put("reason", why);
        details.put("serials", revoked.added().stream().map(e -> Serials.format(e.serial())).toList());
        details.put("added", revoked.added().size());
        details.put("krl_version", revoked.version());
        return new AuditEvent(now, RevocationService.EVENT, ACTOR, AuditEvent.Outcome.ok, null, details);
    }
}
