package dev.writ.ca;

import dev.writ.ca.access.AccessService;
import dev.writ.ca.access.GrantEndedListener;
import dev.writ.ca.config.CaConfig;
import dev.writ.ca.config.ConfigException;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.host.HostServices;
import dev.writ.ca.http.Routes;
import dev.writ.ca.issue.UserCertificateService;
import dev.writ.ca.keys.CaKeyRing;
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
import dev.writ.policy.Policy;
import dev.writ.policy.PolicyException;
import java.nio.file.Path;
import java.security.Security;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar writ-ca.jar --config FILE}: reads the config once and wires the CA by hand. */
@Command(name = "writ-ca", mixinStandardHelpOptions = true, description = "The writ certificate authority.")
public final class Main implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "The CA configuration (YAML).")
    Path configFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
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
        Policy policy;
        Store store;
        try {
            keys = CaKeyRing.loadOrCreate(config.keys(), config.keyType(), System.getenv(CaKeyRing.PASSPHRASE_ENV));
        } catch (Exception e) {
            throw new StartupException("cannot load the CA keys from " + config.keys() + ": " + e.getMessage());
        }
        try {
            policy = Policy.load(config.policies());
        } catch (PolicyException e) {
            throw new StartupException("policy: " + e.getMessage());
        }
        try {
            store = Store.openSqlite(config.sqlitePath(), metrics::storeCommitted);
        } catch (Exception e) {
            throw new StartupException(e.getMessage());
        }
        TokenVerifier verifier = new TokenVerifier(config.issuers(), clock);
        var signer = new OpenSshCertificateSigner(keys);
        var webhooks = new Webhooks(config.webhooks(), Webhooks.Settings.DEFAULT, metrics, store.webhookOutbox());
        var revokeOnGrantEnd = new RevokeOnGrantEnd(store.revocations(), clock);
        var access = new AccessService(policy, store, clock, webhooks, revokeOnGrantEnd.andThen(alsoTell));
        var revocations = new RevocationService(store, access, keys, clock);
        Revocations revoked;
        try {
            revoked = Revocations.openSqlite(config.sqlitePath(), keys, clock);
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
            throw new StartupException("cannot use the recordings directory " + config.recordings() + ": " + e.getMessage());
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
        Routes routes = new Routes(config, keys, store, metrics, verifier, userCertificates, hosts, access, bastions,
                recordings, revocations, policy, clock);
        try {
            return new CaServer(config, routes, access, webhooks, bastions, routes::close, store).start();
        } catch (RuntimeException e) {
            routes.close();
            access.close();
            webhooks.close();
            bastions.close();
            store.close();
            throw new StartupException("cannot listen on " + config.listen() + ": " + e.getMessage());
        }
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
