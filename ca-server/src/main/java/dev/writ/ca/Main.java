package dev.writ.ca;

import dev.writ.ca.access.AccessService;
import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.audit.Checkpoints;
import dev.writ.ca.config.StorePassword;
import dev.writ.ca.config.CaConfig;
import dev.writ.ca.config.ConfigException;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.host.HostServices;
import dev.writ.ca.http.Routes;
import dev.writ.ca.issue.UserCertificateService;
import dev.writ.ca.keys.AuditKeyFile;
import dev.writ.ca.keys.AuditSigner;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.keys.KeyRefresher;
import dev.writ.ca.keys.KeyRotation;
import dev.writ.ca.keys.KeySources;
import dev.writ.ca.keys.KeyTable;
import dev.writ.ca.keys.Pkcs11Token;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.revocation.RevocationService;
import dev.writ.ca.revocation.RevokeOnGrantEnd;
import dev.writ.ca.session.BastionServices;
import dev.writ.ca.session.Revocations;
import dev.writ.ca.recording.RecordingServices;
import dev.writ.ca.sign.OpenSshCertificateSigner;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.token.TokenVerifier;
import dev.writ.ca.webhook.Webhooks;
import dev.writ.ca.policy.PolicyReloader;
import dev.writ.policy.PolicyException;
import java.nio.file.Path;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar writ-ca.jar --config FILE}: reads the config once and wires the CA by hand. */
@Command(name = "writ-ca", mixinStandardHelpOptions = true, description = "The writ certificate authority.",
        subcommands = KeysCommand.class)
public final class Main implements Callable<Integer> {

    @Option(names = "--config", description = "The CA configuration (YAML).")
    Path configFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
        if (configFile == null) {
            System.err.println("writ-ca: --config FILE is required");
            return 2;
        }
        CaConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            System.err.println("writ-ca: " + e.getMessage());
            return 2;
        }
        Logging.configure(config.logFormat());
        try {
            CaServer server = start(config, Clock.systemUTC());
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "writ-ca-shutdown"));
            LoggerFactory.getLogger(Main.class).info("writ CA listening on {}://{}:{}",
                    config.tls() == null ? "http" : "https", config.listen().host(), server.port());
            return waitForever();
        } catch (StartupException e) {
            System.err.println("writ-ca: " + e.getMessage());
            return 1;
        }
    }

    /** Builds every part from the config and starts serving. Also the entry point of tests and benchmarks. */
    public static CaServer start(CaConfig config, Clock clock) throws StartupException {
        return start(config, clock, GrantEndedListener.NONE);
    }

    /**
     * When an access grant ends, its certificates are revoked; then {@code alsoTell} is told, with
     * the certificates that carry it (tests listen there).
     */
    public static CaServer start(CaConfig config, Clock clock, GrantEndedListener alsoTell) throws StartupException {
        Security.addProvider(new BouncyCastleProvider());
        CaMetrics metrics = new CaMetrics();
        CaKeyRing keys;
        AuditSigner auditKey;
        PolicyReloader policy;
        KeySources sources;
        Store store;
        try {
            sources = keySources(config);
            keys = CaKeyRing.loadOrCreate(sources);
        } catch (Exception e) {
            throw new StartupException("cannot load the CA keys from " + (config.pkcs11() == null ? config.keys()
                    : "the PKCS#11 token") + ": " + e.getMessage());
        }
        try {
            auditKey = config.pkcs11() == null
                    ? AuditKeyFile.loadOrCreate(config.keys(), System.getenv(CaKeyRing.PASSPHRASE_ENV))
                    : inToken(sources.loadOrCreate(AuditKeyFile.NAME));
        } catch (Exception e) {
            throw new StartupException("cannot load the audit key from " + (config.pkcs11() == null ? config.keys()
                    : "the PKCS#11 token") + ": " + e.getMessage());
        }
        try {
            policy = PolicyReloader.load(config.policies(), clock);
        } catch (PolicyException e) {
            throw new StartupException("policy: " + e.getMessage());
        } catch (java.io.IOException e) {
            throw new StartupException("policy: cannot read " + config.policies() + ": " + e.getMessage());
        }
        try {
            store = openStore(config, metrics::storeCommitted);
        } catch (Exception e) {
            throw new StartupException(e.getMessage());
        }
        AutoCloseable keyRefresher;
        try {
            keyRefresher = rotation(config, keys, sources, store, clock);
        } catch (Exception e) {
            store.close();
            throw new StartupException("CA key table: " + e.getMessage());
        }
        TokenVerifier verifier = new TokenVerifier(config.issuers(), clock);
        var signer = new OpenSshCertificateSigner(keys);
        var webhooks = new Webhooks(config.webhooks(), Webhooks.Settings.DEFAULT, metrics, store.webhookOutbox());
        var revokeOnGrantEnd = new RevokeOnGrantEnd(store.revocations(), clock);
        var access = new AccessService(policy, store, clock, webhooks, revokeOnGrantEnd.andThen(alsoTell));
        var revocations = new RevocationService(store, access, keys, clock);
        Revocations revoked;
        try {
            revoked = Revocations.open(store, keys);
        } catch (StoreException e) {
            access.close();
            webhooks.close();
            store.close();
            throw new StartupException(e.getMessage());
        }
        var userCertificates = new UserCertificateService(policy, signer, store, clock, metrics, access,
                revoked::revokesNewCertificate);
        var hosts = HostServices.create(policy, signer, keys.host(), store, clock, metrics);
        RecordingServices recordings;
        try {
            recordings = RecordingServices.create(config, store, clock);
        } catch (java.io.IOException e) {
            revoked.close();
            access.close();
            webhooks.close();
            store.close();
            throw new StartupException("cannot use the recordings " + config.recordings() + ": " + e.getMessage());
        }
        BastionServices bastions;
        try {
            bastions = BastionServices.create(config, keys, store, revoked, policy, signer, metrics, clock);
        } catch (Exception e) {
            revoked.close();
            access.close();
            webhooks.close();
            store.close();
            throw new StartupException("bastion services: " + e.getMessage());
        }
        var checkpoints = new Checkpoints(store.checkpoints(), auditKey, clock, config.audit()).start();
        Routes routes = new Routes(config, keys, store, metrics, verifier, userCertificates, hosts, access, bastions,
                recordings, revocations, policy, clock, checkpoints);
        try {
            policy.watch(store);
            return new CaServer(config, routes, access, webhooks, bastions, routes::close, keyRefresher, checkpoints, policy, recordings, store).start();
        } catch (RuntimeException | java.io.IOException e) {
            policy.close();
            routes.close();
            checkpoints.close();
            access.close();
            webhooks.close();
            bastions.close();
            store.close();
            throw new StartupException("cannot listen on " + config.listen() + ": " + e.getMessage());
        }
    }

    /** The audit key in the CA's PKCS#11 token: it signs there, like the CA keys. */
    private static AuditSigner inToken(dev.writ.ca.keys.CaSigner key) {
        return new AuditSigner() {
            @Override
            public byte[] sign(byte[] data) throws java.security.GeneralSecurityException {
                return key.sign(data);
            }

            @Override
            public java.security.PublicKey publicKey() {
                return key.publicKey();
            }
        };
    }

    /** Opens (creating and migrating when needed) the store the config names: SQLite or PostgreSQL. */
    static Store openStore(CaConfig config, java.util.function.Consumer<Long> commitNanos) throws Exception {
        return config.postgresLocation() == null
                ? Store.openSqlite(config.sqlitePath(), commitNanos)
                : Store.openPostgresql(config.postgresLocation(),
                        StorePassword.read(config.storePasswordFile(), System.getenv()), commitNanos);
    }

    /** The CA keys' files, or the PKCS#11 token the config names (opened and logged in to). */
    static KeySources keySources(CaConfig config) throws java.io.IOException, java.security.GeneralSecurityException {
        Pkcs11Token token = config.pkcs11() == null ? null : Pkcs11Token.open(config.pkcs11());
        return new KeySources(config.keys(), config.keyType(), System.getenv(CaKeyRing.PASSPHRASE_ENV), token);
    }

    /** Records the keys in the key table on a first start, applies the table, and re-reads it every few seconds. */
    private static AutoCloseable rotation(CaConfig config, CaKeyRing keys, KeySources sources, Store store, Clock clock) throws Exception {
        Duration every = Duration.ofSeconds(config.keyRefreshSeconds());
        KeyTable table = KeyTable.open(store);
        KeyRotation rotation = new KeyRotation(keys, sources, table, clock, every.multipliedBy(2));
        try {
            rotation.adoptCurrentKeys();
            rotation.refresh();
            rotation.auditSteps(store);
        } catch (Exception e) {
            table.close();
            throw e;
        }
        KeyRefresher refresher = KeyRefresher.start(rotation, store, every);
        return () -> {
            refresher.close();
            table.close();
        };
    }

    private static int waitForever() {
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The CA cannot start; the message says why in one line. */
    public static final class StartupException extends Exception {
        public StartupException(String message) {
            super(message);
        }
    }
}
