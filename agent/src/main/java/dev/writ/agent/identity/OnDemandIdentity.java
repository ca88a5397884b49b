package dev.writ.agent.identity;

import dev.writ.agent.Durations;
import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.config.TokenStore;
import dev.writ.agent.sshagent.AgentKey;
import dev.writ.agent.sshagent.IdentitySource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The writ agent's identity, fetched when ssh asks for it. When ssh lists identities and the
 * certificate is missing or expires within {@link #RENEW_BEFORE}, a new key is certified (the
 * stored ID token, or a silently refreshed one). When that needs the user (no tokens, the
 * refresh token refused), the agent says so once in its log and in {@code writ status}, and
 * lists no identity, so ssh goes on with its other ones. A certificate the CA revoked (a grant
 * that ended early, an admin) is dropped and replaced the same way ({@link RevocationWatch}).
 */
public final class OnDemandIdentity implements IdentitySource {

    public static final Duration RENEW_BEFORE = Duration.ofMinutes(2);
    /** How often, at most, ssh's asking for identities also asks the CA whether an access grant came in. */
    static final Duration GRANT_CHECK = Duration.ofSeconds(2);
    /** After a failed fetch, a certificate that is still valid is served without retrying for this long. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    private static final Set<Exit> NEEDS_LOGIN = Set.of(Exit.NOT_LOGGED_IN, Exit.LOGIN_EXPIRED,
            Exit.TOKEN_FILE_CORRUPT, Exit.TOKEN_FILE_INSECURE);
    private static final int KEPT_KEYS = 4;

    private final Certifier certifier;
    private final TokenStore tokens;
    private final String ttl;
    private final Clock clock;
    private final AgentLog log;
    private final RevocationWatch revocations;
    /** The newest key first; older ones stay until they expire, for a signature asked just after a renewal. */
    private final Deque<AgentKey> keys = new ArrayDeque<>();
    private String problem;
    private Instant retryAfter = Instant.MIN;
    private Instant nextGrantCheck = Instant.MIN;
    /** The grants the newest certificate was fetched for: a grant the policy does not honour is not fetched again and again. */
    private Set<String> fetchedForGrants = Set.of();

    public OnDemandIdentity(Certifier certifier, TokenStore tokens, String ttl, Clock clock, AgentLog log,
                            RevocationWatch revocations) {
        this.certifier = certifier;
        this.revocations = revocations;
        this.tokens = tokens;
        this.ttl = ttl;
        this.clock = clock;
        this.log = log;
    }

    @Override
    public synchronized List<AgentKey> identities() {
        dropExpired();
        if (!tokens.exists()) {
            // logged out (or never in): nothing of the old identity survives
            keys.clear();
            report("login required: not logged in; run writ login", null);
            return List.of();
        }
        AgentKey current = keys.peekFirst();
        if (current != null && revocations.revoked(current.certificate())) {
            keys.remove(current);
            log.info("certificate serial " + current.certificate().serial() + " was revoked at the CA (an access grant"
                    + " that ended, or an admin); fetching a new one");
            current = null;
        }
        boolean fresh = current != null && current.certificate().remaining(clock).compareTo(RENEW_BEFORE) > 0;
        if (fresh && grantedSince(current)) {
            fresh = false;
        }
        if (!fresh && (current == null || !clock.instant().isBefore(retryAfter))) {
            fetch();
        }
        current = keys.peekFirst();
        return current == null ? List.of() : List.of(current);
    }

    /**
     * Whether an access grant in force now (an approval since {@code current} was issued) gives a
     * role {@code current} does not carry: then ssh gets a new certificate at once, without a new
     * login or a restart. Asked at most every {@link #GRANT_CHECK}; when the CA cannot say, the
     * current certificate stays.
     */
    private boolean grantedSince(AgentKey current) {
        Instant now = clock.instant();
        if (now.isBefore(nextGrantCheck)) {
            return false;
        }
        nextGrantCheck = now.plus(GRANT_CHECK);
        Set<String> granted;
        try {
            granted = certifier.activeGrants();
        } catch (WritException | RuntimeException e) {
            return false;
        }
        if (current.certificate().roles().containsAll(granted) || fetchedForGrants.equals(granted)) {
            return false;
        }
        fetchedForGrants = granted;
        log.info("an access grant for " + String.join(", ", granted) + " is in force; certificate serial "
                + current.certificate().serial() + " carries " + String.join(", ", current.certificate().roles())
                + "; fetching a new one");
        return true;
    }

    private void fetch() {
        long started = System.nanoTime();
        try {
            AgentKey key = certifier.certify(ttl);
            keys.addFirst(key);
            while (keys.size() > KEPT_KEYS) {
                keys.removeLast();
            }
            problem = null;
            var certificate = key.certificate();
            log.info("new certificate for " + certificate.keyId() + ": serial " + certificate.serial() + ", principals "
                    + String.join(", ", certificate.principals()) + ", valid for "
                    + Durations.format(certificate.remaining(clock)) + " (fetched in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms)");
        } catch (WritException e) {
            retryAfter = clock.instant().plus(RETRY_AFTER);
            String message = NEEDS_LOGIN.contains(e.exit()) ? "login required: " + e.getMessage()
                    : "cannot get a certificate: " + e.getMessage();
            report(message, e);
        } catch (RuntimeException e) {
            retryAfter = clock.instant().plus(RETRY_AFTER);
            report("cannot get a certificate: unexpected " + e, e);
        }
    }

    /** Logs a problem once, not on every ssh that runs into it. */
    private void report(String message, Throwable cause) {
        if (!message.equals(problem)) {
            problem = message;
            log.failure(message + (keys.isEmpty() ? " (ssh gets no identity from writ until then)"
                    : " (the current certificate is served until it expires)"), cause);
        }
    }

    @Override
    public synchronized Optional<AgentKey> find(byte[] blob) {
        dropExpired();
        return keys.stream().filter(key -> key.answersTo(blob)).findFirst();
    }

    @Override
    public synchronized AgentStatus status() {
        dropExpired();
        AgentKey current = keys.peekFirst();
        return new AgentStatus(current == null ? null : current.certificate().line(), problem);
    }

    /** Forgets every key: the next ssh fetches anew (for {@code writ logout} and the benchmark). */
    public synchronized void forget() {
        keys.clear();
        retryAfter = Instant.MIN;
    }

    private void dropExpired() {
        keys.removeIf(key -> key.certificate().remaining(clock).isZero());
    }
}
