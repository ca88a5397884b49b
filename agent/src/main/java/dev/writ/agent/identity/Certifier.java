package dev.writ.agent.identity;

import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.ca.CaRefusedException;
import dev.writ.agent.config.TokenStore;
import dev.writ.agent.config.Tokens;
import dev.writ.agent.oidc.IdToken;
import dev.writ.agent.oidc.IdTokenCheck;
import dev.writ.agent.oidc.OAuthErrorException;
import dev.writ.agent.oidc.OidcClient;
import dev.writ.agent.oidc.TokenResponse;
import dev.writ.agent.sshagent.AgentKey;
import dev.writ.agent.sshagent.Certificate;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.UserCertRequest;
import dev.writ.protocol.ssh.InvalidKeyException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;

/**
 * Gets a certificate for a new key: a usable ID token (the stored one, or a new one from the
 * refresh token), a fresh Ed25519 key, {@code POST /v1/certs/user}. The same steps serve the
 * agent's on-demand fetch, {@code writ cert} and {@code writ login --add-to-agent}; the same
 * ID token serves the CLI's other calls to the CA ({@link #asUser}).
 */
public final class Certifier {

    /** An ID token closer than this to its expiry is refreshed first: it must still be valid when the CA checks it. */
    static final Duration MIN_ID_TOKEN_LIFE = Duration.ofMinutes(1);

    private final TokenStore tokens;
    private final OidcClient oidc;
    private final CaClient ca;
    private final Clock clock;
    private final java.nio.file.Path knownHosts;

    public Certifier(TokenStore tokens, OidcClient oidc, CaClient ca, Clock clock) {
        this(tokens, oidc, ca, clock, null);
    }

    /**
     * As above; with each new certificate, {@code knownHosts} (the {@code @cert-authority} lines
     * that {@code writ ssh-config} wrote) is fetched again, so a host CA key the CA added by
     * rotation is trusted before it signs, and a retired one no longer is.
     */
    public Certifier(TokenStore tokens, OidcClient oidc, CaClient ca, Clock clock, java.nio.file.Path knownHosts) {
        this.tokens = tokens;
        this.oidc = oidc;
        this.ca = ca;
        this.clock = clock;
        this.knownHosts = knownHosts;
    }

    /** One call to the CA that proves who we are with an ID token. */
    @FunctionalInterface
    public interface CaCall<T> {
        T call(String idToken) throws WritException;
    }

    /** A new key and its certificate; {@code ttl} as the CA's policies write it, or null for the role's default. */
    public AgentKey certify(String ttl) throws WritException {
        AgentKey key = asUser(idToken -> issue(idToken, ttl));
        refreshKnownHosts();
        return key;
    }

    /** Rewrites the known_hosts file when it exists and the CA's lines changed; the certificate stands either way. */
    private void refreshKnownHosts() {
        if (knownHosts == null || !java.nio.file.Files.exists(knownHosts)) {
            return;
        }
        try {
            String lines = ca.knownHosts();
            if (!lines.equals(java.nio.file.Files.readString(knownHosts))) {
                dev.writ.agent.config.SecureFiles.writePrivate(knownHosts, lines.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        } catch (WritException | java.io.IOException e) {
            // the lines written before stay: ssh still trusts the host CA keys it trusted
        }
    }

    /**
     * The roles of the caller's access grants in force now ({@code GET /v1/access-requests?state=approved&mine=true}):
     * what a certificate issued now would carry beyond the standing roles.
     */
    public java.util.Set<String> activeGrants() throws WritException {
        java.time.Instant now = clock.instant();
        return asUser(idToken -> ca.accessRequests(idToken, "approved", true)).requests().stream()
                .filter(r -> r.grantStart() == null || !java.time.Instant.parse(r.grantStart()).isAfter(now))
                .filter(r -> r.grantEnd() == null || java.time.Instant.parse(r.grantEnd()).isAfter(now))
                .map(dev.writ.protocol.api.AccessRequestView::role)
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    /**
     * Calls the CA as the logged-in user, with the stored ID token or a silently refreshed one.
     * Every authenticated call of the CLI goes through here.
     */
    public <T> T asUser(CaCall<T> call) throws WritException {
        try {
            return call.call(idToken(false));
        } catch (CaRefusedException e) {
            if (e.status() != 401) {
                throw e;
            }
            // the CA did not take the ID token (expired by its clock, say): refresh once and retry once
            return call.call(idToken(true));
        }
    }

    private AgentKey issue(String idToken, String ttl) throws WritException {
        AgentKey.Pending key;
        try {
            key = AgentKey.generate();
        } catch (GeneralSecurityException e) {
            throw new WritException(Exit.UNEXPECTED, "cannot generate an Ed25519 key: " + e.getMessage(), e);
        }
        CertificateResponse answer = ca.issueUserCertificate(idToken, new UserCertRequest(key.publicKeyLine(), ttl, null));
        try {
            return key.certify(Certificate.parse(answer.certificate()));
        } catch (InvalidKeyException | GeneralSecurityException e) {
            throw new WritException(Exit.CA_REFUSED, "the CA answered with an unusable certificate: " + e.getMessage(), e);
        }
    }

    /** The stored ID token while it has a minute left, else a refreshed one (saved, with a rotated refresh token). */
    public String idToken(boolean forceRefresh) throws WritException {
        return tokens.locked(() -> {
            Tokens current = tokens.load();
            IdToken stored = parse(current);
            if (!forceRefresh && stored.validFor(MIN_ID_TOKEN_LIFE, clock)) {
                return current.idToken();
            }
            return refresh(current, stored).idToken();
        });
    }

    private Tokens refresh(Tokens current, IdToken stored) throws WritException {
        if (current.refreshRejected() != null) {
            throw loginExpired(current.refreshRejected());
        }
        if (current.refreshToken() == null) {
            throw new WritException(Exit.LOGIN_EXPIRED,
                    "your ID token has expired and the identity provider gave no refresh token; run writ login");
        }
        TokenResponse answer;
        try {
            answer = oidc.refresh(current.refreshToken());
        } catch (OAuthErrorException e) {
            if (!"invalid_grant".equals(e.error())) {
                throw new WritException(Exit.LOGIN_FAILED, "the identity provider refused to refresh the login: "
                        + e.getMessage(), e);
            }
            // remembered, so that neither the agent nor writ status asks the provider again with a dead token
            tokens.save(current.withRefreshRejected(e.error()));
            throw loginExpired(e.error());
        }
        IdToken renewed = IdTokenCheck.verify(answer.idToken(), oidc.config(), null, clock);
        if (!renewed.subject().equals(stored.subject())) {
            throw new WritException(Exit.LOGIN_FAILED, "the refreshed ID token names another subject; run writ login");
        }
        Tokens saved = new Tokens(answer.idToken(),
                answer.refreshToken() != null ? answer.refreshToken() : current.refreshToken(), null);
        tokens.save(saved);
        return saved;
    }

    private IdToken parse(Tokens current) throws WritException {
        try {
            return IdToken.parse(current.idToken());
        } catch (java.text.ParseException e) {
            throw new WritException(Exit.TOKEN_FILE_CORRUPT, "the token file " + tokens.file()
                    + " is corrupt: run writ login to replace it", e);
        }
    }

    static WritException loginExpired(String reason) {
        return new WritException(Exit.LOGIN_EXPIRED, "your login has expired or was revoked (the identity provider"
                + " refused the refresh token: " + reason + "); run writ login");
    }
}
