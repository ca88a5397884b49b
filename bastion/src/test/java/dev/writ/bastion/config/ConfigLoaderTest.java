package dev.writ.bastion.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The bastion's config: read once, every mistake reported with file and line. */
class ConfigLoaderTest {

    static final String GOOD = """
            listen: 0.0.0.0:2222
            name: bastion-1
            key: ./bastion_key
            hostnames: [bastion.example.com]
            ca:
              url: https://ca.example.com
              bundle: ./ca.pem
            targets:
              - name: web01
                address: 10.0.1.5
                labels: { env: dev }
              - name: db01
                address: "[2001:db8::5]:2200"
            dns_targets: ["*.dev.example.com"]
            krl:
              refresh: 3s
              max_staleness: 1m
            metrics: 127.0.0.1:9102
            max_sessions_per_identity: 4
            log_format: json
            recordings:
              spool: /var/spool/writ
              upload_url: https://recordings.example.com/
              upload_attempts: 3
              upload_backoff: 2s
              upload_timeout: 1m
            audit:
              spool: ./audit-spool
              max_spool_mb: 64
              max_retry_backoff: 10s
            login_rate_limits:
              per_identity: { requests: 20, per: 1m }
              per_address: { requests: 0, per: 1m }
              max_tracked: 500
            """;

    @Test
    void okEveryKeyWithDefaultsAndPathsResolvedAgainstTheFile() throws Exception {
        BastionConfig config = ConfigLoader.parse("bastion.yaml", GOOD).resolvedAgainst(Path.of("/etc/writ"));
        assertEquals(new BastionConfig.Address("0.0.0.0", 2222), config.listen());
        assertEquals(Path.of("/etc/writ/bastion_key"), config.key());
        assertEquals(Path.of("/etc/writ/ca.pem"), config.ca().bundle());
        assertEquals(new BastionConfig.Address("10.0.1.5", 22), config.targets().get(0).socketAddress());
        assertEquals(new BastionConfig.Address("2001:db8::5", 2200), config.targets().get(1).socketAddress());
        assertEquals(Map.of("env", "dev"), config.targets().get(0).labels());
        assertEquals(Duration.ofSeconds(3), config.krl().refreshInterval());
        assertEquals(Duration.ofMinutes(1), config.krl().maxStalenessDuration());
        assertEquals(4, config.maxSessionsPerIdentity());
        assertEquals(Path.of("/var/spool/writ"), config.recordings().spool());
        assertEquals(java.net.URI.create("https://recordings.example.com"), config.recordings().uploadUrl());
        assertEquals(3, config.recordings().uploadAttempts());
        assertEquals(Duration.ofSeconds(2), config.recordings().uploadBackoffDuration());
        assertEquals(Duration.ofMinutes(1), config.recordings().uploadTimeoutDuration());
        assertEquals(Path.of("/etc/writ/audit-spool"), config.audit().spool());
        assertEquals(64L << 20, config.audit().maxSpoolBytes());
        assertEquals(Duration.ofSeconds(10), config.audit().maxRetryBackoffDuration());
        assertEquals(List.of("20 per 60 s", "off", 500), List.of(config.loginRateLimits().perIdentity().limit().toString(),
                config.loginRateLimits().perAddress().limit().toString(), config.loginRateLimits().maxTracked()));
    }

    @Test
    void okMinimalWithDefaults() throws Exception {
        BastionConfig config = ConfigLoader.parse("bastion.yaml", """
                listen: 127.0.0.1:2222
                name: b
                key: k
                hostnames: [localhost]
                ca: { url: "http://127.0.0.1:8080" }
                """);
        assertEquals(Duration.ofSeconds(2), config.krl().refreshInterval());
        assertEquals(Duration.ofSeconds(30), config.krl().maxStalenessDuration());
        assertEquals(10, config.maxSessionsPerIdentity());
        assertEquals(null, config.metrics());
        // recordings: spooled next to the config file, uploaded to the CA
        assertEquals(Path.of("/etc/writ/recordings"), config.resolvedAgainst(Path.of("/etc/writ")).recordings().spool());
        assertEquals(java.net.URI.create("http://127.0.0.1:8080"), config.recordings().uploadUrl());
        assertEquals(5, config.recordings().uploadAttempts());
        assertEquals(Duration.ofSeconds(1), config.recordings().uploadBackoffDuration());
        assertEquals(Duration.ofMinutes(5), config.recordings().uploadTimeoutDuration());
        // audit events: spooled next to the config file, 16 MiB at most, retried at least every 30 s
        assertEquals(Path.of("/etc/writ/audit"), config.resolvedAgainst(Path.of("/etc/writ")).audit().spool());
        assertEquals(16L << 20, config.audit().maxSpoolBytes());
        assertEquals(Duration.ofSeconds(30), config.audit().maxRetryBackoffDuration());
        assertEquals(List.of("60 per 60 s", "300 per 60 s", 10_000), List.of(config.loginRateLimits().perIdentity().limit().toString(),
                config.loginRateLimits().perAddress().limit().toString(), config.loginRateLimits().maxTracked()));
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("fail/unknown-key", GOOD.replace("max_sessions_per_identity", "max_sesions"),
                        "bastion.yaml:19: unknown key 'max_sesions'; known keys: audit, ca, dns_targets, hostnames, key, krl, listen, "
                                + "log_format, login_rate_limits, max_sessions_per_identity, metrics, name, recordings, targets"),
                Arguments.of("fail/login-rate-negative", GOOD.replace("requests: 20", "requests: -2"),
                        "bastion.yaml:31: login_rate_limits: login_rate_limits.per_identity.requests must be 0 (off) or more"),
                Arguments.of("fail/login-rate-bad-per", GOOD.replace("requests: 0, per: 1m", "requests: 5, per: often"),
                        "bastion.yaml:31: login_rate_limits: login_rate_limits.per_address.per 'often' is not a duration such as 2s, 30s or 5m"),
                Arguments.of("fail/login-rate-no-per", GOOD.replace("{ requests: 20, per: 1m }", "{ requests: 20 }"),
                        "bastion.yaml:31: login_rate_limits: login_rate_limits.per_identity.per is required (e.g. 1m)"),
                Arguments.of("fail/login-rate-tracked-zero", GOOD.replace("max_tracked: 500", "max_tracked: 0"),
                        "bastion.yaml:31: login_rate_limits: login_rate_limits.max_tracked must be 1..1000000"),
                Arguments.of("fail/recordings-unknown-key", GOOD.replace("upload_attempts", "upload_tries"),
                        "bastion.yaml:24: unknown key 'upload_tries' in recordings; known keys: redact, spool, upload_attempts, "
                                + "upload_backoff, upload_timeout, upload_url"),
                Arguments.of("fail/recordings-http-upload-not-on-loopback",
                        GOOD.replace("https://recordings.example.com/", "http://recordings.example.com/"),
                        "bastion.yaml:21: recordings: recordings.upload_url must be https:// (http:// only on loopback)"),
                Arguments.of("fail/recordings-redact-not-a-regex", GOOD.replace("upload_attempts: 3",
                                "upload_attempts: 3\n  redact: ['AKIA[0-9A-Z{16}']"),
                        "bastion.yaml:21: recordings: recordings.redact: 'AKIA[0-9A-Z{16}' is not a regular expression: "
                                + "Unclosed character class"),
                Arguments.of("fail/recordings-attempts", GOOD.replace("upload_attempts: 3", "upload_attempts: 0"),
                        "bastion.yaml:21: recordings: recordings.upload_attempts must be 1..20"),
                Arguments.of("fail/recordings-backoff", GOOD.replace("upload_backoff: 2s", "upload_backoff: soon"),
                        "bastion.yaml:21: recordings: recordings.upload_backoff 'soon' is not a duration such as 2s, 30s or 5m"),
                Arguments.of("fail/audit-unknown-key", GOOD.replace("max_spool_mb", "max_spool"),
                        "bastion.yaml:29: unknown key 'max_spool' in audit; known keys: max_retry_backoff, max_spool_mb, spool"),
                Arguments.of("fail/audit-spool-size", GOOD.replace("max_spool_mb: 64", "max_spool_mb: 0"),
                        "bastion.yaml:27: audit: audit.max_spool_mb must be 1..1024"),
                Arguments.of("fail/audit-backoff", GOOD.replace("max_retry_backoff: 10s", "max_retry_backoff: 1h"),
                        "bastion.yaml:27: audit: audit.max_retry_backoff must be at most 5m"),
                Arguments.of("fail/krl-refresh-over-5s", GOOD.replace("refresh: 3s", "refresh: 10s"),
                        "bastion.yaml:15: krl: krl.refresh must be at most 5s (revoked sessions end within 5 s)"),
                Arguments.of("fail/http-ca-not-on-loopback", GOOD.replace("https://ca.example.com", "http://ca.example.com"),
                        "bastion.yaml:5: ca: ca.url must be https:// (http:// only for a CA on loopback)"),
                Arguments.of("fail/metrics-not-on-loopback", GOOD.replace("metrics: 127.0.0.1:9102", "metrics: 0.0.0.0:9102"),
                        "bastion.yaml:18: metrics 0.0.0.0:9102 must be a loopback address"),
                Arguments.of("fail/target-without-address", GOOD.replace("    address: 10.0.1.5\n", ""),
                        "bastion.yaml:8: targets[0]: target web01 needs an address (host:port)"),
                Arguments.of("fail/target-twice", GOOD.replace("name: db01", "name: web01"),
                        "bastion.yaml:8: targets: 'web01' is listed twice"),
                Arguments.of("fail/dns-star", GOOD.replace("\"*.dev.example.com\"", "\"*\""),
                        "bastion.yaml:14: dns_targets: '*' is not a DNS name pattern (and '*' alone is too wide)"),
                Arguments.of("fail/listen-without-port", GOOD.replace("0.0.0.0:2222", "0.0.0.0"),
                        "bastion.yaml:1: listen: '0.0.0.0' needs a port (host:port)"),
                Arguments.of("fail/no-name", GOOD.replace("name: bastion-1\n", ""),
                        "bastion.yaml:34: name is required: the bastion's name as registered at the CA"),
                Arguments.of("fail/wrong-type", GOOD.replace("max_sessions_per_identity: 4", "max_sessions_per_identity: [4]"),
                        "bastion.yaml:19: max_sessions_per_identity: has the wrong type"),
                Arguments.of("fail/not-yaml", "listen: 'unclosed", "bastion.yaml:1: invalid YAML: while scanning a quoted scalar"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesNamingFileLineAndKey(String name, String yaml, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("bastion.yaml", yaml));
        assertEquals(message, e.getMessage());
    }
}
