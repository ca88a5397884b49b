package dev.writ.bastion.upstream;

import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.ca.CaException;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.bastion.route.Target;
import dev.writ.bastion.trust.Authority;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.SessionCertRequest;
import dev.writ.protocol.ssh.Certificates;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's connections to targets, as a MINA client: for each session a fresh key, a
 * session certificate for it from the CA (one login, two minutes, only from the bastion, key id
 * naming engineer and session), and the target's host certificate checked against the CA's host
 * keys and the target's name.
 */
public final class Upstream implements AutoCloseable {

    /** What the owner of an upstream connection attached to it (the bastion's session). */
    public static final AttributeRepository.AttributeKey<Object> OWNER = new AttributeRepository.AttributeKey<>();
    static final AttributeRepository.AttributeKey<Target> TARGET = new AttributeRepository.AttributeKey<>();
    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    static final String CA_UNREACHABLE = "the CA is unreachable; try again shortly";
    /**
     * Towards targets the bastion chooses: ML-KEM hybrid where the target has it (OpenSSH 9.9+),
     * else X25519. Streamlined NTRU Prime goes last: its key generation in Java costs a good part
     * of a login.
     */
    static final List<BuiltinDHFactories> KEY_EXCHANGES = List.of(BuiltinDHFactories.mlkem768x25519,
            BuiltinDHFactories.curve25519, BuiltinDHFactories.curve25519_libssh, BuiltinDHFactories.ecdhp256,
            BuiltinDHFactories.ecdhp384, BuiltinDHFactories.ecdhp521, BuiltinDHFactories.sntrup761x25519,
            BuiltinDHFactories.sntrup761x25519_openssh);

    private final SshClient client;
    private final CaClient ca;
    private final Authority authority;
    private final BastionMetrics metrics;
    private final ExecutorService connecting;
    private final Clock clock;

    /** {@code client} is started and configured by the caller (ciphers, channel factories); this sets who it trusts. */
    public Upstream(SshClient client, CaClient ca, Authority authority, BastionMetrics metrics, ExecutorService connecting,
                    Clock clock) {
        this.client = client;
        this.ca = ca;
        this.authority = authority;
        this.metrics = metrics;
        this.connecting = connecting;
        this.clock = clock;
        client.setServerKeyVerifier((session, address, key) -> verifyHost(session, address, key));
        client.setKeyExchangeFactories(TargetKeyExchange.factories(KEY_EXCHANGES,
                (session, certificate) -> hostCertificateValid((ClientSession) session, certificate)));
    }

    /** Connects and logs in to the grant's target; fails with an {@link UpstreamException} saying why, briefly. */
    public CompletableFuture<ClientSession> connect(Grant grant, String sessionId, Object owner) {
        return CompletableFuture.supplyAsync(() -> {
            long started = System.nanoTime();
            try {
                ClientSession session = connectNow(grant, sessionId, owner);
                metrics.upstreamConnected(System.nanoTime() - started);
                return session;
            } catch (UpstreamException e) {
                metrics.upstreamFailed();
                throw e;
            }
        }, connecting);
    }

    private ClientSession connectNow(Grant grant, String sessionId, Object owner) {
        Target target = grant.target();
        KeyPair key;
        try {
            key = KeyUtils.generateKeyPair("ssh-ed25519", 256); // one key per session; it never touches disk
        } catch (GeneralSecurityException e) {
            throw new UpstreamException("cannot generate a session key", e);
        }
        OpenSshCertificate certificate = sessionCertificate(grant, sessionId, key.getPublic());
        ClientSession session = null;
        try {
            InetAddress address = InetAddress.getByName(target.host());
            session = client.connect(grant.login(), address.getHostAddress(), target.port(),
                            AttributeRepository.ofKeyValuePair(TARGET, target), null)
                    .verify(TIMEOUT).getSession();
            session.setAttribute(OWNER, owner);
            session.addPublicKeyIdentity(new KeyPair(certificate, key.getPrivate()));
            session.auth().verify(TIMEOUT);
            return session;
        } catch (IOException e) {
            if (session != null) {
                session.close(true);
            }
            throw new UpstreamException("cannot log in to " + target.name() + ": " + shortly(e), e);
        }
    }

    private OpenSshCertificate sessionCertificate(Grant grant, String sessionId, PublicKey key) {
        Target target = grant.target();
        SessionCertRequest request = new SessionCertRequest(grant.certificateLine(), grant.login(), target.name(), sessionId,
                PublicKeyEntry.toString(key), target.labels());
        try {
            // the client's own bound (CaClient.TIMEOUT) ends the wait first; this one is only a backstop
            CertificateResponse response = ca.sessionCertificate(request)
                    .get(CaClient.TIMEOUT.plusSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
            return (OpenSshCertificate) PublicKeys.parse(response.certificate());
        } catch (ExecutionException e) {
            throw new UpstreamException(sessionCertificateFailure(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new UpstreamException(CA_UNREACHABLE, e);
        } catch (InvalidKeyException | ClassCastException e) {
            throw new UpstreamException("the CA's session certificate is unusable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException("interrupted", e);
        }
    }

    /**
     * What the engineer reads when no session certificate came: the CA out of reach is not a
     * refusal (and names no Java class); a refusal carries the CA's own detail.
     */
    static String sessionCertificateFailure(Throwable cause) {
        if (!(cause instanceof CaException refused) || refused.status() == 0) {
            return CA_UNREACHABLE;
        }
        return (refused.status() >= 500 ? "the CA could not issue a session certificate: "
                : "the CA refused a session certificate: ") + refused.getMessage();
    }

    /** After the key exchange: the target must have presented a certificate (checked during the exchange). */
    boolean verifyHost(ClientSession session, SocketAddress address, PublicKey key) {
        if (key instanceof OpenSshCertificate certificate && hostCertificateValid(session, certificate)) {
            return true;
        }
        LOG.warn("refusing target at {}: it presented no valid host certificate", address);
        return false;
    }

    /**
     * The target's host certificate must be from our host CA (not SHA-1 RSA), valid now, naming
     * the target as the engineer knows it, with no critical option, and not revoked.
     */
    boolean hostCertificateValid(ClientSession session, OpenSshCertificate certificate) {
        Target target = session.getConnectionContext() == null ? null : session.getConnectionContext().getAttribute(TARGET);
        if (target == null) {
            return false;
        }
        boolean ok = certificate.getType() == OpenSshCertificate.Type.HOST
                && Certificates.signedBy(certificate, authority.current().hostCas())
                && !Certificates.notYetValid(certificate, clock.instant())
                && !Certificates.expired(certificate, clock.instant())
                && certificate.getPrincipals().contains(target.name())
                && certificate.getCriticalOptionsMap().isEmpty()
                && !authority.current().krl().revokes(certificate);
        if (!ok) {
            LOG.warn("refusing target {}: its host certificate (id {}, principals {}) is not one of our host CA's for that name",
                    target.name(), certificate.getId(), certificate.getPrincipals());
        }
        return ok;
    }

    private static String shortly(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : " " + (message.length() > 120 ? message.substring(0, 120) : message));
    }

    @Override
    public void close() {
        connecting.shutdownNow();
        try {
            client.stop();
        } catch (RuntimeException e) {
            LOG.debug("stopping the SSH client: {}", e.toString());
        }
    }

    /** Why the bastion could not reach a target; the message is fit for the engineer. */
    public static final class UpstreamException extends RuntimeException {
        public UpstreamException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
