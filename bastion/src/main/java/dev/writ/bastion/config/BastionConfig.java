package dev.writ.bastion.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writ.policy.Durations;
import dev.writ.protocol.limits.RateLimiter;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The bastion's whole configuration, loaded once from one YAML file by {@link ConfigLoader} and
 * validated here. Relative paths are resolved against the directory of the config file.
 *
 * @param listen                 {@code host:port} for SSH
 * @param name                   the bastion's name as registered in the CA's {@code bastions:} list
 * @param key                    the bastion's own key (OpenSSH private key, Ed25519 or ECDSA P-256, mode 0600):
 *                               it signs the bastion's assertions to the CA
 * @param hostnames              the names clients use for the bastion, put in its host certificate
 * @param ca                     where the CA is ({@code url}, and {@code urls} for CA replicas: tried in turn, sticking
 *                               to the last that answered), and how to verify its TLS certificate
 * @param targets                the machines behind the bastion: name, address, labels
 * @param dnsTargets             name patterns resolved in DNS (port 22) when no target is configured by that name
 * @param krl                    how often the revocation list is fetched, and how stale it may get
 * @param metrics                {@code host:port} of the Prometheus endpoint (loopback only); none when absent
 * @param maxSessionsPerIdentity concurrent sessions one engineer may hold
 * @param logFormat              {@code text} or {@code json}
 * @param recordings             where recordings are spooled, and where and how they are uploaded
 * @param audit                  where audit events wait for the CA, and how long a retry waits at most
 * @param loginRateLimits        how many logins one engineer (key id) and one client address may make
 */
public record BastionConfig(
        @JsonProperty("listen") Address listen,
        @JsonProperty("name") String name,
        @JsonProperty("key") Path key,
        @JsonProperty("hostnames") List<String> hostnames,
        @JsonProperty("ca") Ca ca,
        @JsonProperty("targets") List<Target> targets,
        @JsonProperty("dns_targets") List<String> dnsTargets,
        @JsonProperty("krl") Krl krl,
        @JsonProperty("metrics") Address metrics,
        @JsonProperty("max_sessions_per_identity") Integer maxSessionsPerIdentity,
        @JsonProperty("log_format") LogFormat logFormat,
        @JsonProperty("recordings") Recordings recordings,
        @JsonProperty("audit") Audit audit,
        @JsonProperty("login_rate_limits") LoginRateLimits loginRateLimits) {

    public enum LogFormat { text, json }

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,252})");
    static final Pattern HOSTNAME_PATTERN = Pattern.compile("[a-z0-9*?]([a-z0-9*?.-]{0,252})");

    public BastionConfig {
        require(listen != null, "listen is required (e.g. 0.0.0.0:2222)");
        require(name != null && NAME.matcher(name).matches(), "name is required: the bastion's name as registered at the CA");
        require(key != null, "key is required (the bastion's OpenSSH private key file)");
        require(hostnames != null && !hostnames.isEmpty(), "hostnames must name the bastion (for its host certificate)");
        hostnames = hostnames.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        hostnames.forEach(h -> require(HOSTNAME.matcher(h).matches(), "hostnames: '" + h + "' is not a DNS name or address"));
        require(ca != null, "ca is required (url, and bundle for a private TLS root)");
        targets = targets == null ? List.of() : List.copyOf(targets);
        Set<String> seen = new HashSet<>();
        targets.forEach(t -> require(seen.add(t.name()), "targets: '" + t.name() + "' is listed twice"));
        dnsTargets = dnsTargets == null ? List.of() : dnsTargets.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
        dnsTargets.forEach(p -> require(HOSTNAME_PATTERN.matcher(p).matches() && !p.equals("*"),
                "dns_targets: '" + p + "' is not a DNS name pattern (and '*' alone is too wide)"));
        krl = krl == null ? new Krl(null, null) : krl;
        require(metrics == null || metrics.isLoopback(), "metrics " + metrics + " must be a loopback address");
        maxSessionsPerIdentity = maxSessionsPerIdentity == null ? 10 : maxSessionsPerIdentity;
        require(maxSessionsPerIdentity > 0, "max_sessions_per_identity must be at least 1");
        logFormat = Objects.requireNonNullElse(logFormat, LogFormat.text);
        recordings = Objects.requireNonNullElse(recordings, new Recordings(null, null, null, null, null, null)).uploadingTo(ca.url());
        audit = Objects.requireNonNullElse(audit, new Audit(null, null, null));
        loginRateLimits = Objects.requireNonNullElse(loginRateLimits, new LoginRateLimits(null, null, null));
    }

    /**
     * Logins admitted per engineer and per client address: {@code requests} at once, then refilled
     * evenly over {@code per}; {@code requests: 0} turns a limit off. Every login counts, the outer
     * connection of {@code ssh -J} included.
     *
     * @param perIdentity per certificate key id (default 60 per 1m)
     * @param perAddress  per client address, the socket's (default 300 per 1m)
     * @param maxTracked  engineers and addresses tracked per limit; idle ones are dropped first (default 10000)
     */
    public record LoginRateLimits(@JsonProperty("per_identity") Rate perIdentity, @JsonProperty("per_address") Rate perAddress,
                                  @JsonProperty("max_tracked") Integer maxTracked) {
        public LoginRateLimits {
            perIdentity = perIdentity == null ? new Rate(60, "1m") : perIdentity;
            perAddress = perAddress == null ? new Rate(300, "1m") : perAddress;
            perIdentity.check("login_rate_limits.per_identity");
            perAddress.check("login_rate_limits.per_address");
            maxTracked = maxTracked == null ? 10_000 : maxTracked;
            require(maxTracked >= 1 && maxTracked <= 1_000_000, "login_rate_limits.max_tracked must be 1..1000000");
        }
    }

    /** {@code requests} at once, then refilled evenly over {@code per} (a duration such as 1m). */
    public record Rate(@JsonProperty("requests") Integer requests, @JsonProperty("per") String per) {

        void check(String key) {
            require(requests != null && requests >= 0, key + ".requests must be 0 (off) or more");
            require(per != null, key + ".per is required (e.g. 1m)");
            duration(per, key + ".per");
        }

        public RateLimiter.Limit limit() {
            return new RateLimiter.Limit(requests, duration(per, "per"));
        }
    }

    /**
     * The CA.
     *
     * @param url    its base URL; {@code http://} only on loopback (assertions are bearer credentials)
     * @param urls   further replicas' base URLs, tried in turn when one does not answer
     * @param bundle PEM file of certificates to trust for its TLS certificate; the system's trust store when absent
     * @param keysRefresh how often the CA's keys (rotations) and the policy are fetched again; default 60s
     */
    public record Ca(@JsonProperty("url") URI url, @JsonProperty("urls") List<URI> urls, @JsonProperty("bundle") Path bundle,
                     @JsonProperty("keys_refresh") String keysRefresh) {
        public Ca {
            keysRefresh = keysRefresh == null ? "60s" : keysRefresh;
            Duration every = duration(keysRefresh, "ca.keys_refresh");
            require(!every.isNegative() && every.toMillis() >= 500, "ca.keys_refresh must be at least 500ms");
            require(url != null || (urls != null && !urls.isEmpty()),
                    "ca.url is required (e.g. https://ca.example.com), or ca.urls, one per CA replica");
            List<URI> all = new ArrayList<>();
            if (url != null) {
                all.add(url);
            }
            if (urls != null) {
                all.addAll(urls);
            }
            List<URI> checked = new ArrayList<>();
            for (URI u : all) {
                require(u != null && u.getHost() != null, "ca.url and ca.urls must be URLs (e.g. https://ca.example.com)");
                require("https".equals(u.getScheme()) || ("http".equals(u.getScheme()) && new Address(u.getHost(), 1).isLoopback()),
                        "ca.url must be https:// (http:// only for a CA on loopback)");
                String text = u.toString();
                URI trimmed = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
                if (!checked.contains(trimmed)) {
                    checked.add(trimmed);
                }
            }
            require(checked.size() <= 8, "ca.urls: at most 8 CA replicas");
            url = checked.get(0);
            urls = List.copyOf(checked);
        }

        public Ca(URI url, Path bundle) {
            this(url, null, bundle, null);
        }

        public Ca(URI url, Path bundle, String keysRefresh) {
            this(url, null, bundle, keysRefresh);
        }

        /** Every CA replica's URL, {@link #url()} first. */
        public List<URI> all() {
            return urls;
        }

        public Duration keysRefreshInterval() {
            return duration(keysRefresh, "ca.keys_refresh");
        }
    }

    /**
     * A machine behind the bastion.
     *
     * @param name    what users type ({@code root@web01@bastion}, {@code ssh -J bastion root@web01}); also the
     *                principal its host certificate must carry, and the name policy matches
     * @param address {@code host:port} to connect to (port 22 when left out)
     * @param labels  matched by policy {@code targets: - labels:}
     */
    public record Target(@JsonProperty("name") String name, @JsonProperty("address") String address,
                         @JsonProperty("labels") Map<String, String> labels) {
        public Target {
            require(name != null && HOSTNAME.matcher(name).matches(),
                    "target name '" + name + "' must be a lower-case DNS name");
            require(address != null && !address.isBlank(), "target " + name + " needs an address (host:port)");
            Address.parse(address, 22);
            labels = labels == null ? Map.of() : new TreeMap<>(labels);
        }

        public Address socketAddress() {
            return Address.parse(address, 22);
        }
    }

    /**
     * The revocation list.
     *
     * @param refresh      how often {@code GET /v1/krl} is fetched: at most 5 s, so revoked sessions end within 5 s
     * @param maxStaleness when the last good list is older than this, new logins are refused
     */
    public record Krl(@JsonProperty("refresh") String refresh, @JsonProperty("max_staleness") String maxStaleness) {
        public Krl {
            refresh = refresh == null ? "2s" : refresh;
            maxStaleness = maxStaleness == null ? "30s" : maxStaleness;
            Duration r = duration(refresh, "krl.refresh");
            Duration s = duration(maxStaleness, "krl.max_staleness");
            require(r.compareTo(Duration.ofSeconds(5)) <= 0, "krl.refresh must be at most 5s (revoked sessions end within 5 s)");
            require(s.compareTo(r) > 0, "krl.max_staleness must be longer than krl.refresh");
        }

        public Duration refreshInterval() {
            return duration(refresh, "krl.refresh");
        }

        public Duration maxStalenessDuration() {
            return duration(maxStaleness, "krl.max_staleness");
        }
    }

    /**
     * Session recordings: the spool they are written to as sessions run, and their upload to the CA.
     *
     * @param spool          the directory recordings are written to (mode 0700, created when missing);
     *                       {@code recordings} next to the config file by default
     * @param uploadUrl      the base URL that {@code PUT /v1/recordings/{id}} goes to; the CA's URL by default
     * @param uploadAttempts attempts per recording in one round of uploads, before the next recording's turn
     * @param uploadBackoff  the wait after the first failed attempt; it doubles with every further one, and
     *                       between rounds
     * @param uploadTimeout  how long one upload may take, body included
     * @param redact         regular expressions replaced by {@code [redacted]} in what targets print before it is
     *                       recorded; absent: AWS access key ids, PEM private keys and bearer tokens
     */
    public record Recordings(@JsonProperty("spool") Path spool, @JsonProperty("upload_url") URI uploadUrl,
                             @JsonProperty("upload_attempts") Integer uploadAttempts,
                             @JsonProperty("upload_backoff") String uploadBackoff,
                             @JsonProperty("upload_timeout") String uploadTimeout,
                             @JsonProperty("redact") List<String> redact) {
        public Recordings {
            redact = redact == null ? null : List.copyOf(redact);
            if (redact != null) {
                for (String regex : redact) {
                    try {
                        java.util.regex.Pattern.compile(regex);
                    } catch (java.util.regex.PatternSyntaxException e) {
                        throw new IllegalArgumentException("recordings.redact: '" + regex + "' is not a regular expression: "
                                + e.getDescription());
                    }
                }
            }
            spool = spool == null ? Path.of("recordings") : spool;
            if (uploadUrl != null) {
                require(uploadUrl.getHost() != null, "recordings.upload_url must be a URL (e.g. https://ca.example.com)");
                require("https".equals(uploadUrl.getScheme())
                                || ("http".equals(uploadUrl.getScheme()) && new Address(uploadUrl.getHost(), 1).isLoopback()),
                        "recordings.upload_url must be https:// (http:// only on loopback)");
                String text = uploadUrl.toString();
                uploadUrl = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            }
            uploadAttempts = uploadAttempts == null ? 5 : uploadAttempts;
            require(uploadAttempts >= 1 && uploadAttempts <= 20, "recordings.upload_attempts must be 1..20");
            uploadBackoff = uploadBackoff == null ? "1s" : uploadBackoff;
            uploadTimeout = uploadTimeout == null ? "5m" : uploadTimeout;
            require(duration(uploadBackoff, "recordings.upload_backoff").compareTo(Duration.ofMinutes(1)) <= 0,
                    "recordings.upload_backoff must be at most 1m");
            duration(uploadTimeout, "recordings.upload_timeout");
        }

        public Duration uploadBackoffDuration() {
            return duration(uploadBackoff, "recordings.upload_backoff");
        }

        public Duration uploadTimeoutDuration() {
            return duration(uploadTimeout, "recordings.upload_timeout");
        }

        Recordings uploadingTo(URI caUrl) {
            return uploadUrl != null ? this : new Recordings(spool, caUrl, uploadAttempts, uploadBackoff, uploadTimeout, redact);
        }

        Recordings resolvedAgainst(Path base) {
            return new Recordings(base.resolve(spool).normalize(), uploadUrl, uploadAttempts, uploadBackoff, uploadTimeout,
                    redact);
        }

        /** The configured redaction patterns, or writ's defaults when the config names none ({@code redact: []}: none). */
        public List<String> redactPatterns() {
            return redact == null ? dev.writ.bastion.record.Redaction.DEFAULTS : redact;
        }
    }

    /**
     * The bastion's audit events on their way to the CA.
     *
     * @param spool           the directory they wait in until the CA has them (mode 0700, created when missing);
     *                        {@code audit} next to the config file by default
     * @param maxSpoolMb      how many MiB of unsent events the spool holds (and the bastion keeps in memory);
     *                        when full, new events are dropped, logged and counted
     * @param maxRetryBackoff the longest wait between two tries while the CA is down (the first is 0.5 s)
     */
    public record Audit(@JsonProperty("spool") Path spool, @JsonProperty("max_spool_mb") Integer maxSpoolMb,
                        @JsonProperty("max_retry_backoff") String maxRetryBackoff) {
        public Audit {
            spool = spool == null ? Path.of("audit") : spool;
            maxSpoolMb = maxSpoolMb == null ? 16 : maxSpoolMb;
            require(maxSpoolMb >= 1 && maxSpoolMb <= 1024, "audit.max_spool_mb must be 1..1024");
            maxRetryBackoff = maxRetryBackoff == null ? "30s" : maxRetryBackoff;
            require(duration(maxRetryBackoff, "audit.max_retry_backoff").compareTo(Duration.ofMinutes(5)) <= 0,
                    "audit.max_retry_backoff must be at most 5m");
        }

        public long maxSpoolBytes() {
            return maxSpoolMb * (1L << 20);
        }

        public Duration maxRetryBackoffDuration() {
            return duration(maxRetryBackoff, "audit.max_retry_backoff");
        }

        Audit resolvedAgainst(Path base) {
            return new Audit(base.resolve(spool).normalize(), maxSpoolMb, maxRetryBackoff);
        }
    }

    /** {@code host:port}; the host may be an IPv6 literal in brackets. */
    public record Address(String host, int port) {
        public Address {
            require(host != null && !host.isBlank(), "an address needs a host");
            require(port >= 0 && port <= 65535, "port must be 0..65535");
        }

        /** {@code host:port}, {@code [v6]:port}, or a host alone (then {@code defaultPort}; -1 means a port is required). */
        public static Address parse(String text, int defaultPort) {
            String t = text.strip();
            String host;
            String port = null;
            if (t.startsWith("[")) {
                int close = t.indexOf(']');
                require(close > 0, "'" + text + "' has an unclosed [");
                host = t.substring(1, close);
                if (close + 1 < t.length()) {
                    require(t.charAt(close + 1) == ':', "'" + text + "' must be [host]:port");
                    port = t.substring(close + 2);
                }
            } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
                host = t.substring(0, t.indexOf(':'));
                port = t.substring(t.indexOf(':') + 1);
            } else {
                host = t; // a name, an IPv4 address, or a bare IPv6 literal
            }
            require(port != null || defaultPort >= 0, "'" + text + "' needs a port (host:port)");
            try {
                return new Address(host, port == null ? defaultPort : Integer.parseInt(port));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port must be a number in '" + text + "'");
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

    /** Returns a copy whose relative paths are resolved against {@code base}. */
    public BastionConfig resolvedAgainst(Path base) {
        return new BastionConfig(listen, name, base.resolve(key).normalize(), hostnames,
                new Ca(ca.url(), ca.urls(), ca.bundle() == null ? null : base.resolve(ca.bundle()).normalize(), ca.keysRefresh()),
                targets, dnsTargets, krl, metrics, maxSessionsPerIdentity, logFormat, recordings.resolvedAgainst(base),
                audit.resolvedAgainst(base), loginRateLimits);
    }

    static Duration duration(String text, String key) {
        return Durations.parse(text).orElseThrow(() -> new IllegalArgumentException(
                key + " '" + text + "' is not a duration such as 2s, 30s or 5m"));
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
