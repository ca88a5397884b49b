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
import java.net.InetSocketAddress;
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
import org.apache.sshd.client.session.AbstractClientSession;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
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
        client.addSessionListener(new SessionListener() {
            @Override
            public void sessionPeerIdentificationReceived(Session session, String version, List<String> extraLines) {
                nameTheTarget(session);
            }
        });
    }

    /**
     * MINA checks a host certificate's principals against the host string of the address it
     * connected to, which is the target's IP address (the bastion resolves names itself). Once the
     * target has said hello, and before any key exchange reply can be read, the connect address is
     * given the target's name, so that the check is against the name the engineer typed.
     */
    private static void nameTheTarget(Session session) {
        if (session instanceof AbstractClientSession client && client.getConnectionContext() != null
                && client.getConnectAddress() instanceof InetSocketAddress connected) {
            Target target = client.getConnectionContext().getAttribute(TARGET);
            if (target != null) {
                try {
                    InetAddress named = InetAddress.getByAddress(target.name(), connected.getAddress().getAddress());
                    client.setConnectAddress(new InetSocketAddress(named, connected.getPort()));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e); // cannot happen: the address bytes came from a connected socket
                }
            }
        }
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
            CertificateResponse response = ca.sessionCertificate(request).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return (OpenSshCertificate) PublicKeys.parse(response.certificate());
        } catch (ExecutionException e) {
            String why = e.getCause() instanceof CaException ca ? ca.getMessage() : shortly(e.getCause());
            throw new UpstreamException("the CA refused a session certificate: " + why, e.getCause());
        } catch (TimeoutException | InvalidKeyException | ClassCastException e) {
            throw new UpstreamException("no session certificate from the CA", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException("interrupted", e);
        }
    }

    /**
     * The target must present a host certificate from our host CA (not SHA-1 RSA), valid now,
     * naming the target as the engineer knows it. MINA has checked the signature over the key
     * exchange; the certificate's own checks are ours, whatever MINA did too.
     */
    boolean verifyHost(ClientSession session, SocketAddress address, PublicKey key) {
        Target target = session.getConnectionContext() == null ? null : session.getConnectionContext().getAttribute(TARGET);
        if (target == null || !(key instanceof OpenSshCertificate certificate)) {
            LOG.warn("refusing target {} at {}: it presented no host certificate", target == null ? "?" : target.name(), address);
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
            LOG.warn("refusing target {} at {}: its host certificate (id {}, principals {}) is not one of our host CA's for that name",
                    target.name(), address, certificate.getId(), certificate.getPrincipals());
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
