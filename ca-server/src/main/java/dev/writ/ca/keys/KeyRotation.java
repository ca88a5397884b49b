package dev.writ.ca.keys;

import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staged rotation of the CA keys, kept in the {@code ca_keys} table so every replica agrees:
 * <ol>
 *   <li><b>add</b> a next key: published at once (GET /v1/ca, user.pub, known_hosts), so bastions,
 *       hosts and clients trust it before it signs;</li>
 *   <li><b>activate</b> it: it signs from now on, the old key stays published;</li>
 *   <li><b>retire</b> the old key: no longer published, so what it signed is refused; refused
 *       while certificates it signed are valid and unrevoked, unless forced.</li>
 * </ol>
 * A running CA applies the table with {@link #refresh()} (every few seconds), without a restart.
 * Each step is an audit event: {@code ca.key.added}, {@code ca.key.activated}, {@code ca.key.retired}.
 */
public final class KeyRotation {

    public static final List<String> CAS = List.of("user_ca", "session_ca", "host_ca");
    private static final Logger LOG = LoggerFactory.getLogger(KeyRotation.class);

    private final CaKeyRing ring;
    private final KeySources sources;
    private final KeyTable table;
    private final Clock clock;
    private final Duration grace;
    private final Map<String, CaSigner> loaded = new ConcurrentHashMap<>();

    /**
     * @param grace how long after an activation another replica may still sign with the old key (its refresh
     *              interval): retirement counts certificates issued until then as the old key's
     */
    public KeyRotation(CaKeyRing ring, KeySources sources, KeyTable table, Clock clock, Duration grace) {
        this.ring = ring;
        this.sources = sources;
        this.table = table;
        this.clock = clock;
        this.grace = grace;
        for (String ca : CAS) {
            CaSigner signer = ring.named(ca).signer();
            loaded.put(signer.location(), signer);
        }
    }

    /** The CA name for a command line's {@code user}, {@code session} or {@code host} (or the full name). */
    public static String caName(String given) {
        String name = given.endsWith("_ca") ? given : given + "_ca";
        if (!CAS.contains(name)) {
            throw new IllegalArgumentException("no CA named '" + given + "' (user, session or host)");
        }
        return name;
    }

    /** Records each CA's current key as active when the table has none for it yet (first start, upgrade). */
    public void adoptCurrentKeys() throws StoreException {
        for (String ca : CAS) {
            CaSigner signer = ring.named(ca).signer();
            table.adoptIfEmpty(ca, PublicKeys.fingerprint(signer.publicKey()), PublicKeys.toLine(signer.publicKey()),
                    signer.location(), clock.instant());
        }
    }

    /** Applies the table to the running CAs: which key signs, which are published. */
    public void refresh() throws StoreException, IOException, GeneralSecurityException {
        List<KeyTable.Row> rows = table.rows();
        List<String> failures = new ArrayList<>();
        for (String ca : CAS) {
            List<KeyTable.Row> mine = rows.stream().filter(r -> r.ca().equals(ca)).toList();
            Optional<KeyTable.Row> active = mine.stream().filter(r -> KeyTable.ACTIVE.equals(r.state())).findFirst();
            if (active.isEmpty()) {
                continue; // nothing recorded yet: the key loaded at start signs
            }
            CaSigner signer;
            try {
                signer = signer(active.get().location());
            } catch (IOException | GeneralSecurityException e) { // this CA keeps its key; the others still rotate
                failures.add(ca + ": " + e.getMessage());
                continue;
            }
            List<PublicKey> published = new ArrayList<>();
            for (KeyTable.Row row : mine) {
                if (row.published()) {
                    published.add(parse(row));
                }
            }
            CaKey key = ring.named(ca);
            String before = describe(key);
            key.rotate(signer, published);
            if (!before.equals(describe(key))) {
                LOG.info("{}: {} signs; published: {}", ca, active.get().fingerprint(), describe(key));
            }
        }
        if (!failures.isEmpty()) {
            throw new IOException(String.join("; ", failures));
        }
    }

    private static String describe(CaKey key) {
        return String.join(", ", key.trusted().stream().map(PublicKeys::fingerprint).toList());
    }

    private CaSigner signer(String location) throws IOException, GeneralSecurityException {
        CaSigner known = loaded.get(location);
        if (known != null) {
            return known;
        }
        CaSigner signer = sources.load(location);
        loaded.put(location, signer);
        return signer;
    }

    private static PublicKey parse(KeyTable.Row row) throws IOException {
        try {
            return PublicKeys.parse(row.publicKey());
        } catch (InvalidKeyException e) {
            throw new IOException("the key table holds an unreadable key for " + row.ca() + ": " + e.getMessage());
        }
    }

    public List<KeyTable.Row> list() throws StoreException {
        return table.rows();
    }

    /** Generates the next key of {@code ca} (in the token when one is configured) and publishes it. */
    public KeyTable.Row add(String ca, String actor) throws StoreException, IOException, GeneralSecurityException {
        int number = table.rows(ca).size() + 1;
        String handle = ca + "." + number;
        while (exists(handle)) {
            handle = ca + "." + ++number;
        }
        CaSigner signer = sources.create(ca, handle);
        Instant now = clock.instant();
        String fingerprint = PublicKeys.fingerprint(signer.publicKey());
        table.insertNext(ca, fingerprint, PublicKeys.toLine(signer.publicKey()), signer.location(),
                event(now, "ca.key.added", actor, ca, fingerprint, Map.of("location", signer.location())));
        loaded.put(signer.location(), signer);
        return find(ca, fingerprint);
    }

    private boolean exists(String handle) throws IOException, GeneralSecurityException {
        if (sources.token() != null) {
            return sources.token().find(sources.token().label(handle)).isPresent();
        }
        return java.nio.file.Files.exists(sources.dir().resolve(handle));
    }

    /** {@code fingerprint} signs for {@code ca} from now on; the key that signed until now stays published. */
    public KeyTable.Row activate(String ca, String fingerprint, String actor)
            throws StoreException, IOException, GeneralSecurityException, RotationException {
        KeyTable.Row row = find(ca, fingerprint);
        if (KeyTable.ACTIVE.equals(row.state())) {
            throw new RotationException(fingerprint + " already signs for " + ca);
        }
        if (KeyTable.RETIRED.equals(row.state())) {
            throw new RotationException(fingerprint + " of " + ca + " is retired; add a new key instead");
        }
        sources.load(row.location()); // the key must be usable here before it is made the signer everywhere
        String previous = table.rows(ca).stream().filter(r -> KeyTable.ACTIVE.equals(r.state()))
                .map(KeyTable.Row::fingerprint).findFirst().orElse("");
        table.activate(ca, fingerprint, event(clock.instant(), "ca.key.activated", actor, ca, fingerprint,
                Map.of("previous", previous)));
        return find(ca, fingerprint);
    }

    /**
     * Stops publishing {@code fingerprint}: certificates it signed are refused from then on.
     * Refused while some are still valid and unrevoked, naming how many and until when, unless {@code force}.
     */
    public KeyTable.Row retire(String ca, String fingerprint, boolean force, String actor)
            throws StoreException, RotationException {
        KeyTable.Row row = find(ca, fingerprint);
        if (KeyTable.ACTIVE.equals(row.state())) {
            throw new RotationException(fingerprint + " signs for " + ca + ": activate another key first");
        }
        if (KeyTable.RETIRED.equals(row.state())) {
            throw new RotationException(fingerprint + " of " + ca + " is retired already");
        }
        Instant now = clock.instant();
        KeyTable.Outstanding outstanding = row.activatedAt() == null ? new KeyTable.Outstanding(0, null)
                : table.outstanding(ca.substring(0, ca.length() - "_ca".length()), row.activatedAt(),
                        row.deactivatedAt().plus(grace), now);
        if (outstanding.count() > 0 && !force) {
            throw new RotationException(outstanding.count() + " certificate(s) signed by " + fingerprint
                    + " are still valid and not revoked, the last until " + outstanding.lastValidBefore()
                    + "; retire it after then, revoke them, or use --force");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("forced", force);
        details.put("still_valid", outstanding.count());
        table.retire(ca, fingerprint, event(now, "ca.key.retired", actor, ca, fingerprint, details));
        return find(ca, fingerprint);
    }

    private KeyTable.Row find(String ca, String fingerprint) throws StoreException {
        return table.rows(ca).stream().filter(r -> r.fingerprint().equals(fingerprint)).findFirst()
                .orElseThrow(() -> new StoreException(ca + " has no key " + fingerprint + " (writ-ca keys list)", null));
    }

    private static KeyTable.Event event(Instant at, String type, String actor, String ca, String fingerprint,
                                        Map<String, Object> more) {
        Map<String, Object> details = new LinkedHashMap<>(more);
        details.put("ca", ca);
        details.put("fingerprint", fingerprint);
        return new KeyTable.Event(at, type, actor, details);
    }

    /**
     * Writes the rotation steps that {@code writ-ca keys} recorded to the audit chain, which only
     * a running CA appends to; each step once, whichever replica claims it.
     */
    public void auditSteps(Store store) throws StoreException {
        for (KeyTable.Event step : table.claimEvents()) {
            store.audit(new AuditEvent(step.at(), step.type(), step.actor(), AuditEvent.Outcome.ok, null, step.details()));
        }
    }

    /** A rotation step that cannot be taken now; the message says why. */
    public static final class RotationException extends Exception {
        public RotationException(String message) {
            super(message);
        }
    }
}
