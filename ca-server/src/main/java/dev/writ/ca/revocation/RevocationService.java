package dev.writ.ca.revocation;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.access.AccessService;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.store.AccessRequest;
import dev.writ.ca.store.AccessRequest.State;
import dev.writ.ca.store.AccessRequests;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.RevocationTable;
import dev.writ.ca.store.RevocationTable.By;
import dev.writ.ca.store.RevocationTable.Entry;
import dev.writ.ca.store.RevocationTable.Revoked;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.policy.Identity;
import dev.writ.protocol.api.NewRevocation;
import dev.writ.protocol.api.RevocationResult;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * {@code POST /v1/revocations}: an admin (checked by the route) revokes certificates by serial,
 * key id, key, identity or access grant. Pipeline: parse what the admin sent (untrusted) →
 * resolve it to KRL entries, refusing names this CA never issued → record the entries and the
 * audit event in one transaction → end the grant, when one was named → answer with what is now
 * revoked. {@code GET /v1/krl} lists the entries from the next request on (its version grows),
 * and bastions close the sessions of revoked certificates within their KRL refresh (≤ 5 s).
 *
 * <p>Serials and key ids must name certificates this CA issued: a typo is a 404, not a silent
 * entry that revokes nothing. A public key may be any key (a leaked one need not have been
 * certified yet), except the CA's own. Revoking what is revoked already changes nothing and is
 * answered like the first time, with {@code added: 0}.
 */
public final class RevocationService {

    /** The audit event of every revocation, by an admin or on a grant's end. */
    public static final String EVENT = "revocation.created";
    static final int MAX_TEXT = 1000;
    /** Enough for every unexpired certificate of one identity or one grant. */
    static final int MAX_CERTIFICATES = 10_000;

    /** What the admin named, in the order of the API's fields. */
    enum Kind { serial, key_id, public_key, identity, grant }

    /** The entries a revocation adds to the KRL, and the unexpired certificates they cover. */
    private record Resolved(List<Entry> entries, List<IssuedCertificate> covered) {
    }

    private final RevocationTable revocations;
    private final AccessRequests grants;
    private final AccessService access;
    private final CaKeyRing keys;
    private final Clock clock;

    public RevocationService(Store store, AccessService access, CaKeyRing keys, Clock clock) {
        this.revocations = store.revocations();
        this.grants = store.accessRequests();
        this.access = access;
        this.keys = keys;
        this.clock = clock;
    }

    public RevocationResult revoke(Identity admin, NewRevocation requested, String client)
            throws RequestRefused, StoreException {
        // 1. parse: exactly one thing to revoke, and why
        Named named = named(requested);
        String reason = text(requested.reason(), "reason");
        if (reason == null) {
            throw RequestRefused.badRequest("missing_reason", "reason is missing: say why, for the audit log");
        }
        Instant now = clock.instant();
        // 2. resolve to KRL entries; refuse what this CA never issued
        Resolved resolved = switch (named.kind()) {
            case serial -> bySerial(named.value(), now);
            case key_id -> byKeyId(named.value(), now);
            case public_key -> byKey(named.value(), now);
            case identity -> byIdentity(named.value(), now);
            case grant -> byGrant(named.value(), now);
        };
        // 3. record the entries with their audit event, in one transaction
        Revoked revoked = revocations.revoke(resolved.entries(), reason, admin.name(), now,
                r -> List.of(event(named, reason, r, admin, client, now)));
        List<Long> serials = serials(resolved.entries());
        int added = revoked.added().size();
        long version = revoked.version();
        // 4. a grant in force ends; what was issued with it since step 2 is revoked by the grant-ended listener
        Boolean grantEnded = null;
        if (named.kind() == Kind.grant) {
            grantEnded = access.endRevoked(named.value(), admin.name(), reason, client);
            List<Long> since = grants.serials(named.value()).stream().filter(s -> !serials.contains(s)).toList();
            serials.addAll(since);
            added += since.size();
            version = Math.max(version, revocations.version());
        }
        // 5. answer with what is revoked now
        return render(named, reason, admin, now, resolved, serials, grantEnded, added, version);
    }

    // ---- resolving each kind

    private Resolved bySerial(String text, Instant now) throws RequestRefused, StoreException {
        long serial = parseSerial(text);
        List<IssuedCertificate> issued = revocations.certificates(By.SERIAL, serial, null, 1);
        if (issued.isEmpty()) {
            throw RequestRefused.notFound("unknown_serial", "no certificate with serial " + Serials.format(serial)
                    + " was issued by this CA");
        }
        return new Resolved(List.of(Entry.serial(serial)), issued.get(0).validBefore().isAfter(now) ? issued : List.of());
    }

    private Resolved byKeyId(String keyId, Instant now) throws RequestRefused, StoreException {
        if (revocations.certificates(By.KEY_ID, keyId, null, 1).isEmpty()) {
            throw RequestRefused.notFound("unknown_key_id", "no certificate with key id '" + printable(keyId)
                    + "' was issued by this CA");
        }
        return new Resolved(List.of(Entry.keyId(keyId)), revocations.certificates(By.KEY_ID, keyId, now, MAX_CERTIFICATES));
    }

    private Resolved byKey(String line, Instant now) throws RequestRefused, StoreException {
        PublicKey key;
        try {
            key = PublicKeys.parse(line);
        } catch (InvalidKeyException e) {
            throw RequestRefused.badRequest("bad_public_key", e.malformed() ? e.getMessage() : "public_key: " + e.getMessage());
        }
        if (key instanceof OpenSshCertificate certificate) {
            key = certificate.getCertPubKey(); // a certificate names its key
        }
        PublicKey revoked = key;
        if (keys.allTrusted().anyMatch(own -> KeyUtils.compareKeys(own, revoked))) {
            throw RequestRefused.badRequest("own_ca_key", "public_key is one of this CA's own keys: revoking it would"
                    + " revoke every certificate it signed; rotate the CA key instead");
        }
        String fingerprint = PublicKeys.fingerprint(key);
        return new Resolved(List.of(Entry.keyFingerprint(fingerprint)),
                revocations.certificates(By.KEY_FINGERPRINT, fingerprint, now, MAX_CERTIFICATES));
    }

    private Resolved byIdentity(String identity, Instant now) throws RequestRefused, StoreException {
        if (revocations.certificates(By.IDENTITY, identity, null, 1).isEmpty()) {
            throw RequestRefused.notFound("unknown_identity", "no certificate was issued to '" + printable(identity)
                    + "' by this CA");
        }
        List<IssuedCertificate> unexpired = revocations.certificates(By.IDENTITY, identity, now, MAX_CERTIFICATES);
        return new Resolved(unexpired.stream().map(c -> Entry.serial(c.serial())).toList(), unexpired);
    }

    private Resolved byGrant(String id, Instant now) throws RequestRefused, StoreException {
        Optional<AccessRequest> grant = id.length() > 64 ? Optional.empty() : grants.find(id);
        if (grant.isEmpty()) {
            throw RequestRefused.notFound("unknown_grant", "no access grant '" + printable(id) + "'");
        }
        State state = grant.get().state();
        if (state != State.approved && state != State.ended) {
            throw RequestRefused.conflict("not_a_grant", "access request " + id + " is " + state
                    + ": it was never approved, so no certificate carries it");
        }
        List<Long> serials = grants.serials(id);
        List<IssuedCertificate> covered = new ArrayList<>();
        for (long serial : serials) {
            covered.addAll(revocations.certificates(By.SERIAL, serial, now, 1));
        }
        return new Resolved(serials.stream().map(Entry::serial).toList(), covered);
    }

    // ---- parsing

    /** What the admin named: its kind, and the value stripped of surrounding blanks. */
    private record Named(Kind kind, String value) {
    }

    private static Named named(NewRevocation r) throws RequestRefused {
        Map<Kind, String> given = new LinkedHashMap<>();
        given.put(Kind.serial, r.serial());
        given.put(Kind.key_id, r.keyId());
        given.put(Kind.public_key, r.publicKey());
        given.put(Kind.identity, r.identity());
        given.put(Kind.grant, r.grant());
        List<Kind> named = given.entrySet().stream().filter(e -> e.getValue() != null && !e.getValue().isBlank())
                .map(Map.Entry::getKey).toList();
        if (named.size() != 1) {
            throw RequestRefused.badRequest("bad_revocation", "name exactly one of serial, key_id, public_key, identity,"
                    + " grant" + (named.isEmpty() ? "" : " (got " + String.join(", ", named.stream().map(Kind::name).toList())
                    + ")"));
        }
        Kind kind = named.get(0);
        String value = kind == Kind.public_key ? given.get(kind).strip() : text(given.get(kind), kind.name());
        return new Named(kind, value);
    }

    private static long parseSerial(String text) throws RequestRefused {
        String serial = text.strip();
        try {
            if (serial.matches("[0-9]{1,20}")) {
                long value = Long.parseUnsignedLong(serial);
                if (value != 0) {
                    return value;
                }
            }
        } catch (NumberFormatException tooLarge) {
            // answered below
        }
        throw RequestRefused.badRequest("bad_serial", "serial '" + printable(serial) + "' is not a certificate serial:"
                + " an unsigned decimal number from 1 to 18446744073709551615, as ssh-keygen -L prints it");
    }

    /** Free text: trimmed, at most {@link #MAX_TEXT} characters, one line without control characters; null when blank. */
    private static String text(String value, String field) throws RequestRefused {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.strip();
        if (text.length() > MAX_TEXT) {
            throw RequestRefused.badRequest("bad_" + field, field + " is longer than " + MAX_TEXT + " characters");
        }
        if (text.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw RequestRefused.badRequest("bad_" + field, field + " must be one line without control characters");
        }
        return text;
    }

    /** Echoes client text in a message only as short printable ASCII. */
    private static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }

    // ---- audit and answer

    private static AuditEvent event(Named named, String reason, Revoked revoked, Identity admin, String client,
                                    Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("kind", named.kind().name());
        details.put("reason", reason);
        details.put("issuer", admin.issuer());
        List<Entry> all = Stream.concat(revoked.added().stream(), revoked.already().stream()).toList();
        switch (named.kind()) {
            case key_id -> details.put("key_id", named.value());
            case public_key -> details.put("key_fingerprint", all.get(0).keyFingerprint());
            case identity -> details.put("identity", named.value());
            case grant -> details.put("grant", named.value());
            default -> { }
        }
        if (named.kind() == Kind.serial || named.kind() == Kind.identity || named.kind() == Kind.grant) {
            details.put("serials", serials(all).stream().map(Serials::format).toList());
        }
        details.put("added", revoked.added().size());
        details.put("krl_version", revoked.version());
        return new AuditEvent(now, EVENT, admin.name(), AuditEvent.Outcome.ok, client, details);
    }

    private static RevocationResult render(Named named, String reason, Identity admin, Instant now, Resolved resolved,
                                           List<Long> serials, Boolean grantEnded, int added, long version) {
        Kind kind = named.kind();
        boolean bySerial = kind == Kind.serial || kind == Kind.identity || kind == Kind.grant;
        List<RevocationResult.Certificate> certificates = resolved.covered().stream()
                .map(c -> new RevocationResult.Certificate(Serials.format(c.serial()), c.kind(), c.keyId(), c.identity(),
                        c.principals(), c.validBefore().toString()))
                .toList();
        return new RevocationResult(kind.name(), reason, admin.name(), now.toString(),
                bySerial ? serials.stream().map(Serials::format).toList() : null,
                kind == Kind.key_id ? named.value() : null,
                kind == Kind.public_key ? resolved.entries().get(0).keyFingerprint() : null,
                kind == Kind.identity ? named.value() : null,
                certificates, kind == Kind.grant ? named.value() : null, grantEnded, added, version);
    }

    private static List<Long> serials(List<Entry> entries) {
        Set<Long> serials = new LinkedHashSet<>();
        entries.stream().filter(e -> e.serial() != null).forEach(e -> serials.add(e.serial()));
        return new ArrayList<>(serials);
    }
}
