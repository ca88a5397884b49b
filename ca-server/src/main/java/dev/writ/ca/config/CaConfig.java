package dev.writ.ca.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writ.ca.keys.Pkcs11Config;
import dev.writ.ca.session.BastionRegistration;
import dev.writ.ca.store.PostgresLocation;
import dev.writ.ca.token.IssuerConfig;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The CA's whole configuration, loaded once from one YAML file by {@link ConfigLoader} and
 * validated here. Relative paths are resolved against the directory of the config file.
 *
 * @param listen    {@code host:port} to serve HTTP(S) on
 * @param store     {@code sqlite:PATH} (the embedded default), or {@code postgresql://USER@HOST:PORT/DATABASE} for
 *                  several CA replicas on one database; its password comes from the environment variable
 *                  {@value StorePassword#ENV} or from {@code store_password_file}, never from this file
 * @param keys      directory of the CA key files; {@code user_ca}, {@code session_ca} and {@code host_ca} are generated
 *                  there when absent
 * @param keyType   algorithm of generated CA keys: ed25519 (default), ecdsa, rsa
 * @param policies  directory of policy YAML files
 * @param issuers   OIDC issuers whose ID tokens are accepted
 * @param tls       certificate and key (PEM) to serve HTTPS; required on a non-loopback address
 * @param tlsTerminatedByProxy say explicitly that a TLS-terminating proxy sits in front
 * @param logFormat {@code text} (one line per event) or {@code json}
 * @param login     what {@code writ login} uses, served at {@code GET /v1/login-config}; defaults to the first issuer
 * @param bastion   the bastion's {@code host:port}, told to clients for their ssh_config; optional
 * @param webhooks  receivers of access-request events; optional
 * @param recordings where session recordings are kept: a directory (default {@code recordings} beside the database)
 *                  or S3-compatible object storage; see {@link RecordingsConfig}
 * @param recordingMaxBytes largest recording upload accepted (default 64 MiB); other bodies stay at 64 KiB
 * @param bastions  the bastions allowed to ask for session and host certificates and to upload recordings,
 *                  each with its own key
 * @param directAccess whether targets are also told to trust the user CA, so that engineers' certificates log in
 *                  without the bastion (no recording, no per-target policy, revocation only as fresh as the host's
 *                  KRL); off by default, when targets trust the session CA only
 * @param rateLimits how fast one identity or one client address may ask for certificates and access, and how
 *                  anonymous refusals are summarised in the audit log; see {@link RateLimits}
 * @param audit     how often the audit key signs a checkpoint of the audit chain; see {@link AuditSettings}
 * @param storePasswordFile a file (mode 0600) holding the PostgreSQL store's password; optional
 * @param pkcs11    the CA keys live in this PKCS#11 token instead of files; optional, see {@link Pkcs11Config}
 * @param keyRefreshSeconds how often a running CA re-reads the key table (rotation steps taken with
 *                  {@code writ-ca keys}); default 10
 */
public record CaConfig(
        @JsonProperty("listen") Listen listen,
        @JsonProperty("store") String store,
        @JsonProperty("keys") Path keys,
        @JsonProperty("key_type") KeyType keyType,
        @JsonProperty("policies") Path policies,
        @JsonProperty("issuers") List<IssuerConfig> issuers,
        @JsonProperty("tls") Tls tls,
        @JsonProperty("tls_terminated_by_proxy") Boolean tlsTerminatedByProxy,
        @JsonProperty("log_format") LogFormat logFormat,
        @JsonProperty("login") Login login,
        @JsonProperty("bastion") String bastion,
        @JsonProperty("webhooks") List<Webhook> webhooks,
        @JsonProperty("recordings") RecordingsConfig recordings,
        @JsonProperty("recording_max_bytes") Long recordingMaxBytes,
        @JsonProperty("bastions") List<BastionRegistration> bastions,
        @JsonProperty("direct_access") Boolean directAccess,
        @JsonProperty("rate_limits") RateLimits rateLimits,
        @JsonProperty("audit") AuditSettings audit,
        @JsonProperty("store_password_file") Path storePasswordFile,
        @JsonProperty("pkcs11") Pkcs11Config pkcs11,
        @JsonProperty("key_refresh_seconds") Integer keyRefreshSeconds) {

    public static final long DEFAULT_RECORDING_MAX_BYTES = 64L * 1024 * 1024;

    public enum KeyType { ed25519, ecdsa, rsa }

    public enum LogFormat { text, json }

    public record Tls(@JsonProperty("certificate") Path certificate, @JsonProperty("key") Path key) {
        public Tls {
            require(certificate != null, "tls.certificate is required");
            require(key != null, "tls.key is required");
        }
    }

    /**
     * The OIDC client that {@code writ login} acts as.
     *
     * @param issuer   one of the configured issuers' URLs
     * @param clientId the client id registered at that issuer (default: that issuer's audience)
     * @param scopes   scopes to ask for (default: openid, email, profile, offline_access)
     */
    public record Login(@JsonProperty("issuer") String issuer, @JsonProperty("client_id") String clientId,
                        @JsonProperty("scopes") List<String> scopes,
                        @JsonProperty("targets") List<String> targets) {
        public Login {
            scopes = scopes == null ? List.of("openid", "email", "profile", "offline_access") : List.copyOf(scopes);
            require(scopes.contains("openid"), "login.scopes must include openid");
            targets = targets == null ? List.of() : List.copyOf(targets);
            for (String target : targets) {
                require(target != null && target.matches(SSH_HOST_PATTERN),
                        "login.targets: " + target + " is not a host name or pattern (letters, digits, . - _ * ?)");
            }
        }
    }

    /** A host name or pattern that ssh_config's {@code Host} line holds as one word. */
    public static final String SSH_HOST_PATTERN = "[A-Za-z0-9._*?-]{1,253}";

    public CaConfig {
        require(listen != null, "listen is required (e.g. 127.0.0.1:8080)");
        require(store != null && !store.isBlank(), "store is required (e.g. sqlite:./data/writ.db)");
        require((store.startsWith("sqlite:") && store.length() > "sqlite:".length())
                        || store.startsWith(PostgresLocation.SCHEME),
                "store must be sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE, got '" + store + "'");
        if (store.startsWith(PostgresLocation.SCHEME)) {
            PostgresLocation.parse(store); // refuses a malformed URL, or one with a password, at load
        } else {
            require(storePasswordFile == null, "store_password_file is for a postgresql:// store only");
        }
        require(keys != null, "keys is required (a directory for the CA keys)");
        require(policies != null, "policies is required (a directory of policy files)");
        require(issuers != null && !issuers.isEmpty(), "issuers must name at least one OIDC issuer");
        issuers = List.copyOf(issuers);
        keyType = Objects.requireNonNullElse(keyType, KeyType.ed25519);
        tlsTerminatedByProxy = Boolean.TRUE.equals(tlsTerminatedByProxy);
        logFormat = Objects.requireNonNullElse(logFormat, LogFormat.text);
        require(tls != null || tlsTerminatedByProxy || listen.isLoopback(),
                "listen " + listen + " is not a loopback address: configure tls (certificate and key)"
                        + " or set tls_terminated_by_proxy: true when a TLS-terminating proxy sits in front");
        require(!(tls != null && tlsTerminatedByProxy), "tls and tls_terminated_by_proxy exclude each other");
        login = resolveLogin(login, issuers);
        webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
        recordings = (recordings == null ? RecordingsConfig.local((Path) null) : recordings)
                .withDefaultDirectory(defaultRecordings(store));
        recordingMaxBytes = recordingMaxBytes == null ? DEFAULT_RECORDING_MAX_BYTES : recordingMaxBytes;
        require(recordingMaxBytes >= 1024, "recording_max_bytes must be at least 1024");
        bastions = bastions == null ? List.of() : List.copyOf(bastions);
        directAccess = Boolean.TRUE.equals(directAccess);
        rateLimits = rateLimits == null ? RateLimits.DEFAULT : rateLimits;
        audit = audit == null ? AuditSettings.DEFAULT : audit;
        keyRefreshSeconds = keyRefreshSeconds == null ? 10 : keyRefreshSeconds;
        require(keyRefreshSeconds >= 1 && keyRefreshSeconds <= 3600, "key_refresh_seconds must be 1 to 3600");
        require(rateLimits.clientAddress() == RateLimits.ClientAddress.socket || tlsTerminatedByProxy,
                "rate_limits.client_address: x_forwarded_for trusts a header any client can send; it is only for a CA"
                        + " behind a proxy that sets it (tls_terminated_by_proxy: true)");
        require(bastions.stream().map(BastionRegistration::name).distinct().count() == bastions.size(),
                "bastions must have distinct names");
    }

    private static Path defaultRecordings(String store) {
        if (store.startsWith(PostgresLocation.SCHEME)) {
            return Path.of("recordings");
        }
        Path parent = Path.of(store.substring("sqlite:".length())).getParent();
        return parent == null ? Path.of("recordings") : parent.resolve("recordings");
    }

    private static Login resolveLogin(Login login, List<IssuerConfig> issuers) {
        if (login == null) {
            return new Login(issuers.get(0).issuer(), issuers.get(0).audience(), null, null);
        }
        String issuer = login.issuer() == null ? issuers.get(0).issuer() : login.issuer();
        IssuerConfig match = issuers.stream().filter(i -> i.issuer().equals(issuer)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("login.issuer " + issuer + " is not one of the configured issuers"));
        return new Login(issuer, login.clientId() == null ? match.audience() : login.clientId(), login.scopes(),
                login.targets());
    }

    /** The SQLite database path named by {@link #store()}. */
    public Path sqlitePath() {
        return Path.of(store.substring("sqlite:".length()));
    }

    /** The PostgreSQL store named by {@link #store()}; null for a SQLite store. */
    public PostgresLocation postgresLocation() {
        return store.startsWith(PostgresLocation.SCHEME) ? PostgresLocation.parse(store) : null;
    }

    /** Returns a copy whose relative paths are resolved against {@code base}. */
    public CaConfig resolvedAgainst(Path base) {
        String resolvedStore = postgresLocation() != null ? store : "sqlite:" + base.resolve(sqlitePath()).normalize();
        return new CaConfig(listen, resolvedStore, base.resolve(keys).normalize(),
                keyType, base.resolve(policies).normalize(), issuers,
                tls == null ? null : new Tls(base.resolve(tls.certificate()).normalize(), base.resolve(tls.key()).normalize()),
                tlsTerminatedByProxy, logFormat, login, bastion, webhooks, recordings.resolvedAgainst(base),
                recordingMaxBytes, bastions, directAccess, rateLimits, audit,
                storePasswordFile == null ? null : base.resolve(storePasswordFile).normalize(),
                pkcs11 == null ? null : pkcs11.resolvedAgainst(base), keyRefreshSeconds);
    }

    /**
     * Where access-request events are POSTed as JSON, retried with backoff, never holding up an answer.
     *
     * @param url         https, or http only on a loopback address; it may hold a secret, so logs show only its host
     * @param events      which of {@link #EVENTS}; absent means all
     * @param maxAttempts deliveries tried before the event is given up (default 5, at most 20)
     */
    public record Webhook(@JsonProperty("url") URI url, @JsonProperty("events") List<String> events,
                          @JsonProperty("max_attempts") Integer maxAttempts) {

        public static final List<String> EVENTS = List.of("request.created", "request.approved", "request.denied",
                "request.expired", "break_glass");

        public Webhook {
            require(url != null, "webhooks: url is required");
            IssuerConfig.requireSecureTransport(url, "webhook url");
            events = events == null ? EVENTS : List.copyOf(events);
            require(!events.isEmpty(), "webhooks: events must not be empty (leave it out for all)");
            for (String event : events) {
                require(EVENTS.contains(event), "webhooks: unknown event '" + event + "' (known: "
                        + String.join(", ", EVENTS) + ")");
            }
            maxAttempts = maxAttempts == null ? 5 : maxAttempts;
            require(maxAttempts >= 1 && maxAttempts <= 20, "webhooks: max_attempts must be 1 to 20");
        }

        public boolean wants(String event) {
            return events.contains(event);
        }

        /** The URL without path or query, which may carry a secret: for logs. */
        public String safeName() {
            return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
        }
    }

    /** {@code host:port}; the host may be an IPv6 literal in brackets. */
    public record Listen(String host, int port) {
        public Listen {
            require(host != null && !host.isBlank(), "listen needs a host");
            require(port >= 0 && port <= 65535, "listen port must be 0..65535");
        }

        public static Listen parse(String text) {
            int colon = text.lastIndexOf(':');
            require(colon > 0, "listen must be host:port, got '" + text + "'");
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new Listen(host, Integer.parseInt(text.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("listen port must be a number, got '" + text.substring(colon + 1) + "'");
            }
        }

        public boolean isLoopback() {
            try {
                for (InetAddress address : InetAddress.getAllByName(host)) {
                    if (!address.isLoopbackAddress()) {
                        return false;
                    }
                }
                return true;
            } catch (UnknownHostException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
