package dev.writ.bastion;

import dev.writ.bastion.audit.AuditSpool;
import dev.writ.bastion.audit.AuditUploader;
import dev.writ.bastion.auth.CertificateCheck;
import dev.writ.bastion.auth.CertificateUserAuth;
import dev.writ.bastion.auth.LoginRates;
import dev.writ.bastion.ca.BastionCredential;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.config.BastionConfig;
import dev.writ.bastion.hostkeys.HostKeys;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.metrics.MetricsServer;
import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.bastion.record.Recorder;
import dev.writ.bastion.relay.GlobalRequests;
import dev.writ.bastion.relay.RefusalMessages;
import dev.writ.bastion.route.Targets;
import dev.writ.bastion.session.AuditTrail;
import dev.writ.bastion.session.CaSync;
import dev.writ.bastion.session.Channels;
import dev.writ.bastion.session.Sessions;
import dev.writ.bastion.transport.ChaCha20Poly1305;
import dev.writ.bastion.trust.Authority;
import dev.writ.bastion.trust.Trust;
import dev.writ.bastion.upstream.Upstream;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerUserAuthServiceFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion, wired by hand from its config: the CA connection and what it trusts, the audit
 * spool and its uploader, the SSH server engineers connect to, the SSH client it reaches targets with, and the timers that keep
 * revocation, certificates and sessions current.
 */
public final class Bastion implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Bastion.class);
    /**
     * AES-GCM first (the order that counts on the upstream leg, where the bastion is the client): the JDK runs it on
     * AES-NI. The OpenSSH client's own order picks chacha20-poly1305 on the engineer's leg; that one is
     * {@link ChaCha20Poly1305}, on the JDK's ChaCha20, in place of MINA's pure-Java one.
     */
    static final List<NamedFactory<Cipher>> CIPHERS = List.of(BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256gcm,
            ChaCha20Poly1305.FACTORY, BuiltinCiphers.aes128ctr, BuiltinCiphers.aes192ctr, BuiltinCiphers.aes256ctr);
    /** Never the SHA-1 {@code ssh-rsa}, for certificates, host keys or signatures. */
    static final List<NamedFactory<Signature>> SIGNATURES = List.of(BuiltinSignatures.ed25519_cert, BuiltinSignatures.nistp256_cert,
            BuiltinSignatures.nistp384_cert, BuiltinSignatures.nistp521_cert, BuiltinSignatures.rsaSHA512_cert,
            BuiltinSignatures.rsaSHA256_cert, BuiltinSignatures.ed25519, BuiltinSignatures.nistp256, BuiltinSignatures.nistp384,
            BuiltinSignatures.nistp521, BuiltinSignatures.rsaSHA512, BuiltinSignatures.rsaSHA256);

    private final SshServer server;
    private final Upstream upstream;
    private final MetricsServer metricsServer;
    private final ScheduledExecutorService timers;
    private final AutoCloseable recorder;
    private final CaSync sync;
    private final AuditUploader auditUploader;
    private final AuditSpool auditSpool;

    private Bastion(SshServer server, Upstream upstream, MetricsServer metricsServer, ScheduledExecutorService timers,
                    AutoCloseable recorder, CaSync sync, AuditUploader auditUploader, AuditSpool auditSpool) {
        this.sync = sync;
        this.auditUploader = auditUploader;
        this.auditSpool = auditSpool;
        this.server = server;
        this.upstream = upstream;
        this.metricsServer = metricsServer;
        this.timers = timers;
        this.recorder = recorder;
    }

    /** Builds every part from the config, recording sessions as policy says, and starts serving. */
    public static Bastion start(BastionConfig config, Clock clock) throws StartupException {
        return start(config, clock, null);
    }

    /**
     * The same with another recorder ({@link SessionRecorder#NONE} for tests and benchmarks that
     * leave recording out); null for the bastion's own, from {@code recordings:}.
     */
    public static Bastion start(BastionConfig config, Clock clock, SessionRecorder recorder) throws StartupException {
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
        List<AutoCloseable> started = new ArrayList<>();
        try {
            BastionCredential credential = BastionCredential.load(config.name(), config.key(), clock);
            CaClient ca = new CaClient(config.ca().all(), config.ca().bundle(), credential);
            Authority authority = Authority.fetch(ca, clock);
            ExecutorService connecting = Executors.newFixedThreadPool(64, daemon("writ-upstream"));
            ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, daemon("writ-timer"));
            started.add(timers::shutdownNow);
            HostKeys hostKeys = HostKeys.create(ca, config.hostnames(), clock, connecting);
            BastionMetrics metrics = new BastionMetrics();
            Targets targets = new Targets(config.targets(), config.dnsTargets());
            CertificateCheck check = new CertificateCheck(authority, targets, config.krl().maxStalenessDuration(), clock);

            SshClient client = upstreamClient();
            Upstream upstream = new Upstream(client, ca, authority, metrics, connecting, clock);
            started.add(upstream);
            AuditSpool auditSpool = AuditSpool.open(config.audit().spool(), config.name(), config.audit().maxSpoolBytes(),
                    metrics, clock);
            started.add(auditSpool);
            AuditUploader auditUploader = new AuditUploader(auditSpool, ca, metrics, config.audit().maxRetryBackoffDuration())
                    .start();
            started.add(auditUploader);
            AuditTrail audit = new AuditTrail(auditSpool);
            SessionRecorder recording = recorder != null ? recorder : ownRecorder(config, ca, credential, metrics, clock, audit);
            AutoCloseable recordingStops = recording instanceof AutoCloseable own ? own : () -> { };
            started.add(recordingStops);
            LoginRates rates = new LoginRates(config.loginRateLimits().perIdentity().limit(),
                    config.loginRateLimits().perAddress().limit(), config.loginRateLimits().maxTracked(), clock);
            Sessions sessions = new Sessions(upstream, audit, recording, metrics, config.maxSessionsPerIdentity(), rates,
                    clock);
            Channels channels = new Channels(sessions, targets, check, hostKeys, recording, clock);
            client.setChannelFactories(channels.clientFactories());
            client.start();

            SshServer server = sshServer(config, hostKeys, check, channels, sessions);
            channels.serveOn(server);
            server.start();
            started.add(server::stop);
            MetricsServer metricsServer = config.metrics() == null ? null
                    : MetricsServer.start(config.metrics().host(), config.metrics().port(), metrics);
            metrics.krlAge(() -> Duration.between(authority.current().krlFetchedAt(), clock.instant()).toMillis() / 1000.0);
            schedule(timers, config, authority, hostKeys, sessions);
            CaSync sync = CaSync.start(ca, authority, sessions, metrics);
            started.add(sync);
            return new Bastion(server, upstream, metricsServer, timers, recordingStops, sync, auditUploader, auditSpool);
        } catch (Exception e) {
            for (AutoCloseable resource : started) {
                try {
                    resource.close();
                } catch (Exception ignored) {
                    // already failing to start
                }
            }
            throw new StartupException(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** Recordings to the spool, uploaded to the CA or to {@code recordings.upload_url}; what a crash left is closed first. */
    private static Recorder ownRecorder(BastionConfig config, CaClient ca, BastionCredential credential, BastionMetrics metrics,
                                        Clock clock, AuditTrail audit) throws Exception {
        CaClient uploads = config.recordings().uploadUrl().equals(config.ca().url()) ? ca
                : new CaClient(config.recordings().uploadUrl(), config.ca().bundle(), credential);
        return Recorder.start(config.recordings(), uploads, credential, metrics, clock, audit::endedByCrash);
    }

    /**
     * Revocation every few seconds (and sessions checked right after; the CA's sync usually
     * brings a new list sooner), sessions every second, keys and policy every {@code ca.keys_refresh} (a minute),
     * renewing the bastion's host certificates when they are due or the host CA rotated.
     */
    private static void schedule(ScheduledExecutorService timers, BastionConfig config, Authority authority, HostKeys hostKeys,
                                 Sessions sessions) {
        long refresh = config.krl().refreshInterval().toMillis();
        timers.scheduleWithFixedDelay(() -> {
            try {
                sessions.enforce(authority.refreshKrl());
            } catch (Exception e) {
                LOG.warn("cannot refresh the revocation list (last good one from {}): {}", authority.current().krlFetchedAt(),
                        e.getMessage());
            }
        }, refresh, refresh, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(() -> guarded(() -> {
            sessions.enforce(authority.current());
            return null;
        }), 1, 1, TimeUnit.SECONDS);
        long keys = config.ca().keysRefreshInterval().toMillis();
        timers.scheduleWithFixedDelay(() -> guarded(() -> {
            Trust trust = authority.refreshKeysAndPolicy();
            hostKeys.renewIfDue(trust.hostCas());
            return trust;
        }), keys, keys, TimeUnit.MILLISECONDS);
    }

    private static SshServer sshServer(BastionConfig config, HostKeys hostKeys, CertificateCheck check, Channels channels,
                                       Sessions sessions) {
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost(config.listen().host());
        server.setPort(config.listen().port());
        server.setKeyPairProvider(hostKeys);
        server.setHostKeyCertificateProvider(hostKeys);
        server.setCipherFactories(CIPHERS);
        LOG.info("chacha20-poly1305@openssh.com: the JDK's ChaCha20, {} Poly1305 (Java {})", ChaCha20Poly1305.poly1305Engine(),
                Runtime.version().feature());
        server.setSignatureFactories(SIGNATURES);
        // certificates only: no password, no keyboard-interactive, no host-based, no GSSAPI
        server.setUserAuthFactories(List.of(CertificateUserAuth.factory(check, sessions)));
        server.setPublickeyAuthenticator(CertificateUserAuth.authenticator(check, sessions));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setServiceFactories(List.of(ServerUserAuthServiceFactory.INSTANCE, RefusalMessages.factory(sessions)));
        server.setChannelFactories(channels.serverFactories());
        // remote forwarding (tcpip-forward) is off: refused, and reported, by GlobalRequests; the filter is a second lock
        server.setGlobalRequestHandlers(GlobalRequests.handlers(sessions));
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        server.setAgentFactory(null);
        server.setShellFactory(null);
        server.setCommandFactory(null);
        server.setSubsystemFactories(List.of());
        server.addSessionListener(sessions);
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO); // idle timeouts are policy's, enforced per session
        CoreModuleProperties.AUTH_TIMEOUT.set(server, Duration.ofMinutes(1));
        CoreModuleProperties.SERVER_IDENTIFICATION.set(server, "writ");
        return server;
    }

    private static SshClient upstreamClient() {
        SshClient client = SshClient.setUpDefaultClient();
        client.setCipherFactories(CIPHERS);
        client.setSignatureFactories(SIGNATURES);
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY); // never ~/.ssh/config
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER); // never ~/.ssh/id_*: session keys only
        client.setUserAuthFactories(List.of(new UserAuthPublicKeyFactory()));
        client.setAgentFactory(null);
        client.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        CoreModuleProperties.ABORT_ON_INVALID_CERTIFICATE.set(client, true);
        return client;
    }

    /** The SSH port actually bound (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    /** The metrics port, or -1 without metrics. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    @Override
    public void close() {
        sync.close();
        timers.shutdownNow();
        try {
            server.stop(true);
        } catch (Exception e) {
            LOG.debug("stopping the SSH server: {}", e.toString());
        }
        upstream.close();
        try {
            recorder.close(); // after the server: the channels it closed are written out
        } catch (Exception e) {
            LOG.warn("stopping the recorder: {}", e.toString());
        }
        auditUploader.close(); // what it has not sent stays in the spool for the next start
        auditSpool.close();
        if (metricsServer != null) {
            metricsServer.close();
        }
    }

    private static void guarded(java.util.concurrent.Callable<?> task) {
        try {
            task.call();
        } catch (Exception e) {
            LOG.warn("periodic task failed: {}", e.toString());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The bastion cannot start; the message says why in one line. */
    public static final class StartupException extends Exception {
        public StartupException(String message) {
            super(message);
        }
    }
}
