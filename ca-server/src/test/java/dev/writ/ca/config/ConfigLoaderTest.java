package dev.writ.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {

    static final String VALID = """
            listen: 127.0.0.1:8080
            store: sqlite:./data/writ.db
            keys: ./data/keys
            policies: ./policies
            issuers:
              - url: http://127.0.0.1:9000/idp
                audience: writ
            """;

    @Test
    void loadsAValidConfigAndResolvesPathsAgainstItsDirectory() throws Exception {
        CaConfig config = ConfigLoader.parse("ca.yaml", VALID).resolvedAgainst(Path.of("/etc/writ"));
        assertEquals("127.0.0.1", config.listen().host());
        assertEquals(8080, config.listen().port());
        assertEquals(Path.of("/etc/writ/data/writ.db"), config.sqlitePath());
        assertEquals(Path.of("/etc/writ/data/keys"), config.keys());
        assertEquals(CaConfig.KeyType.ed25519, config.keyType());
        assertEquals(CaConfig.LogFormat.text, config.logFormat());
        assertEquals("writ", config.issuers().get(0).audience());
    }

    @Test
    void defaultsTheLoginClientToTheFirstIssuer() throws Exception {
        CaConfig config = ConfigLoader.parse("ca.yaml", VALID);
        assertEquals("http://127.0.0.1:9000/idp", config.login().issuer());
        assertEquals("writ", config.login().clientId());
        assertEquals(java.util.List.of("openid", "email", "profile", "offline_access"), config.login().scopes());
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                Arguments.of("fail/unknown-top-level-key", VALID + "listne: x\n",
                        "ca.yaml:8: unknown key 'listne'; known keys: audit, bastion, bastions, direct_access, issuers, key_refresh_seconds, key_type, keys, listen, log_format, login, pkcs11, policies, rate_limits, recording_max_bytes, recordings, store, store_password_file, tls, tls_terminated_by_proxy, webhooks"),
                Arguments.of("fail/unknown-issuer-key", VALID.replace("    audience: writ", "    audience: writ\n    audiance: x"),
                        "ca.yaml:8: unknown key 'audiance' in issuers[0]; known keys: audience, url"),
                Arguments.of("fail/bad-port", VALID.replace("127.0.0.1:8080", "127.0.0.1:http"),
                        "ca.yaml:1: listen: listen port must be a number, got 'http'"),
                Arguments.of("fail/http-issuer-not-loopback", VALID.replace("http://127.0.0.1:9000/idp", "http://idp.example.com"),
                        null),
                Arguments.of("fail/non-loopback-listen-without-tls", VALID.replace("127.0.0.1:8080", "0.0.0.0:8080"),
                        null),
                Arguments.of("fail/bad-key-type", VALID + "key_type: dsa\n", null),
                Arguments.of("fail/store-not-sqlite", VALID.replace("sqlite:./data/writ.db", "mysql://x"), null),
                Arguments.of("fail/no-issuers", VALID.substring(0, VALID.indexOf("issuers:")) + "issuers: []\n",
                        null),
                Arguments.of("fail/login-issuer-not-configured", VALID + "login:\n  issuer: https://other.example.com\n",
                        "ca.yaml:8: login.issuer https://other.example.com is not one of the configured issuers"),
                Arguments.of("fail/login-target-not-a-host-pattern", VALID + "login:\n  targets: [demo, \"web ProxyCommand=x\"]\n",
                        "ca.yaml:8: login: login.targets: web ProxyCommand=x is not a host name or pattern (letters, digits, . - _ * ?)"),
                Arguments.of("fail/webhook-http-off-loopback", VALID + "webhooks:\n  - url: http://hooks.example.com/x\n",
                        null),
                Arguments.of("fail/webhook-unknown-event", VALID + "webhooks:\n  - url: https://hooks.example.com/x\n"
                        + "    events: [request.approved, request.revoked]\n", null),
                Arguments.of("fail/webhook-attempts-zero", VALID + "webhooks:\n  - url: https://hooks.example.com/x\n"
                        + "    max_attempts: 0\n", null),
                Arguments.of("fail/bastion-key-not-a-key", VALID + "bastions:\n  - name: b1\n    public_key: ssh-ed25519 AAAAnope\n",
                        null),
                Arguments.of("fail/bastion-rsa-key", VALID + "bastions:\n  - name: b1\n    public_key: ssh-rsa AAAAB3NzaC1yc2E\n",
                        "ca.yaml:8: bastions[0]: bastion b1: public_key: public_key is not a valid OpenSSH public key"),
                Arguments.of("fail/recording-max-tiny", VALID + "recording_max_bytes: 10\n",
                        "ca.yaml:8: recording_max_bytes must be at least 1024"),
                Arguments.of("fail/rate-negative-requests", VALID + "rate_limits:\n  issuance:\n    per_identity: { requests: -1, per: 1m }\n",
                        "ca.yaml:8: rate_limits: rate_limits.issuance.per_identity.requests must be 0 (off) or more"),
                Arguments.of("fail/rate-bad-per", VALID + "rate_limits:\n  access_requests:\n    per_address: { requests: 5, per: soon }\n",
                        "ca.yaml:8: rate_limits: rate_limits.access_requests.per_address.per 'soon' is not a duration such as 30s, 1m or 1h"),
                Arguments.of("fail/rate-missing-per", VALID + "rate_limits:\n  issuance:\n    per_address: { requests: 5 }\n",
                        "ca.yaml:8: rate_limits: rate_limits.issuance.per_address.per is required (e.g. 1m)"),
                Arguments.of("fail/rate-window-too-long", VALID + "rate_limits:\n  summary_window: 2h\n",
                        "ca.yaml:8: rate_limits: rate_limits.summary_window must be at most 1h"),
                Arguments.of("fail/rate-forwarded-for-without-proxy", VALID + "rate_limits:\n  client_address: x_forwarded_for\n",
                        "ca.yaml:8: rate_limits.client_address: x_forwarded_for trusts a header any client can send; it is only"
                                + " for a CA behind a proxy that sets it (tls_terminated_by_proxy: true)"),
                Arguments.of("fail/rate-unknown-client-address", VALID + "rate_limits:\n  client_address: header\n", null),
                Arguments.of("fail/rate-unknown-key", VALID + "rate_limits:\n  logins: {}\n", null),
                Arguments.of("fail/audit-checkpoint-every-zero-events", VALID + "audit:\n  checkpoint_every_events: 0\n",
                        "ca.yaml:8: audit: audit.checkpoint_every_events must be 1..1000000"),
                Arguments.of("fail/audit-checkpoint-every-bad", VALID + "audit:\n  checkpoint_every: often\n",
                        "ca.yaml:8: audit: audit.checkpoint_every 'often' is not a duration such as 30s, 1m or 1h"),
                Arguments.of("fail/audit-checkpoint-every-too-long", VALID + "audit:\n  checkpoint_every: 2d\n",
                        "ca.yaml:8: audit: audit.checkpoint_every must be 1s..24h"),
                Arguments.of("fail/empty", "", "ca.yaml: the configuration is empty"),
                Arguments.of("fail/not-yaml", "listen: [\n", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void refusesABadConfigNamingWhere(String name, String yaml, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("ca.yaml", yaml));
        if (expected != null) {
            assertEquals(expected, e.getMessage());
        } else {
            assertEquals(true, e.getMessage().matches("ca\\.yaml:\\d+: .+"), e.getMessage());
        }
    }

    @Test
    void namesTheReasonForAnHttpIssuerOffLoopback() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("ca.yaml",
                VALID.replace("http://127.0.0.1:9000/idp", "http://idp.example.com")));
        assertEquals(true, e.getMessage().startsWith("ca.yaml:"), e.getMessage());
        assertEquals(true, e.getMessage().contains("issuers[0]"), e.getMessage());
    }

    @Test
    void readsWebhooksWithEveryEventByDefault() throws Exception {
        CaConfig config = ConfigLoader.parse("ca.yaml", VALID + """
                webhooks:
                  - url: https://hooks.example.com/T000/secret
                  - url: http://127.0.0.1:9999/hook
                    events: [break_glass]
                    max_attempts: 2
                """);
        assertEquals(CaConfig.Webhook.EVENTS, config.webhooks().get(0).events());
        assertEquals(5, config.webhooks().get(0).maxAttempts());
        assertEquals("https://hooks.example.com", config.webhooks().get(0).safeName());
        assertEquals(java.util.List.of("break_glass"), config.webhooks().get(1).events());
        assertEquals(2, config.webhooks().get(1).maxAttempts());
        assertEquals(java.util.List.of(), ConfigLoader.parse("ca.yaml", VALID).webhooks());
    }

    @Test
    void hasGenerousRateLimitsByDefaultAndTakesEachPartOnItsOwn() throws Exception {
        var defaults = ConfigLoader.parse("ca.yaml", VALID).rateLimits();
        assertEquals(java.util.List.of("60 per 60 s", "600 per 60 s", "30 per 60 s", "300 per 60 s", "10000", "60s", "1000"),
                java.util.List.of(defaults.issuance().perIdentity().limit().toString(), defaults.issuance().perAddress().limit().toString(),
                        defaults.accessRequests().perIdentity().limit().toString(),
                        defaults.accessRequests().perAddress().limit().toString(), defaults.maxTracked().toString(),
                        defaults.summaryWindow(), defaults.summarySources().toString()));
        var some = ConfigLoader.parse("ca.yaml", VALID + "rate_limits:\n  issuance:\n    per_identity: { requests: 0, per: 1m }\n").rateLimits();
        assertEquals(java.util.List.of("off", "600 per 60 s"), java.util.List.of(some.issuance().perIdentity().limit().toString(),
                some.issuance().perAddress().limit().toString()));
    }

    @Test
    void keepsRecordingsBesideTheDatabaseUnlessToldOtherwise() throws Exception {
        CaConfig defaults = ConfigLoader.parse("ca.yaml", VALID).resolvedAgainst(Path.of("/etc/writ"));
        CaConfig configured = ConfigLoader.parse("ca.yaml", VALID + "recordings: /srv/recordings\nrecording_max_bytes: 1048576\n"
                + "bastions:\n  - name: bastion-1\n    public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmSQpmY9aN9ahugz81SNWYzupH6T3Woq2tabC+R88+5\n"
                + "    addresses: [127.0.0.1/32]\n    hostnames: [bastion.example.com]\n")
                .resolvedAgainst(Path.of("/etc/writ"));

        assertEquals(Path.of("/etc/writ/data/recordings"), defaults.recordings().directory());
        assertEquals(64L * 1024 * 1024, defaults.recordingMaxBytes());
        assertEquals(java.util.List.of(), defaults.bastions());
        assertEquals(Path.of("/srv/recordings"), configured.recordings().directory());
        assertEquals(1048576L, configured.recordingMaxBytes());
        assertEquals("bastion-1", configured.bastions().get(0).name());
    }

    @Test
    void keepsRecordingsInABucketWhenToldSo() throws Exception {
        CaConfig config = ConfigLoader.parse("ca.yaml", VALID + """
                recordings:
                  store: s3
                  endpoint: http://127.0.0.1:9000
                  bucket: writ-recordings
                  path_style: true
                  access_key_id: writ
                  secret_access_key_file: s3.secret
                """).resolvedAgainst(Path.of("/etc/writ"));

        RecordingsConfig recordings = config.recordings();
        assertEquals(java.util.List.of(RecordingsConfig.Kind.s3, "writ-recordings", "us-east-1", true, 8, ""),
                java.util.List.of(recordings.store(), recordings.bucket(), recordings.region(), recordings.pathStyle(),
                        recordings.partSizeMib(), recordings.prefix()));
        assertEquals(Path.of("/etc/writ/s3.secret"), recordings.secretAccessKeyFile());
        assertEquals(null, recordings.directory());
    }

    @Test
    void saysWhatABucketConfigLacks() {
        String base = VALID + "recordings:\n  store: s3\n";
        for (String[] bad : new String[][]{
                {"", "recordings.bucket is required with store: s3"},
                {"  bucket: b\n", "recordings.bucket is required with store: s3"},
                {"  bucket: writ\n  endpoint: http://s3.example.com\n", "recordings.endpoint must use https"},
                {"  bucket: writ\n  access_key_id: writ\n", "an access key id needs its secret"},
                {"  bucket: writ\n  part_size_mib: 1\n", "recordings.part_size_mib must be 5 to 512"},
                {"  bucket: writ\n  directory: /srv\n", "recordings.directory is for store: local only"}}) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("ca.yaml", base + bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        ConfigException local = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("ca.yaml", VALID + "recordings:\n  bucket: writ\n"));
        assertTrue(local.getMessage().contains("are for store: s3 only"), local.getMessage());
    }

    @Test
    void namesTheUnknownWebhookEvent() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("ca.yaml", VALID
                + "webhooks:\n  - url: https://hooks.example.com/x\n    events: [request.revoked]\n"));
        assertEquals(true, e.getMessage().contains("webhooks: unknown event 'request.revoked' (known: request.created,"
                + " request.approved, request.denied, request.expired, break_glass)"), e.getMessage());
    }

    @Test
    void namesTheReasonForANonLoopbackListenWithoutTls() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("ca.yaml",
                VALID.replace("127.0.0.1:8080", "0.0.0.0:8080")));
        assertEquals(true, e.getMessage().contains("is not a loopback address: configure tls"), e.getMessage());
    }
}
