package dev.writ.bastion.hostkeys;

import dev.writ.bastion.auth.Connections;
import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.ca.CaException;
import dev.writ.bastion.route.Target;
import dev.writ.protocol.api.BastionHostCertRequest;
import dev.writ.protocol.ssh.Certificates;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.HostKeyCertificateProvider;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bastion's host key and its host certificates from the CA: one for the bastion's own names,
 * and one per target name it answers for when it intercepts a ProxyJump, obtained on first use.
 * The key lives in memory only and is new at every start; clients trust the certificates through
 * their {@code @cert-authority} line, never the key. Certificates are renewed at half-life.
 */
public final class HostKeys implements KeyPairProvider, HostKeyCertificateProvider {

    private static final Logger LOG = LoggerFactory.getLogger(HostKeys.class);

    private final KeyPair key;
    private final CaClient ca;
    private final List<String> ownNames;
    private final Clock clock;
    private final Executor executor;
    private final Map<String, CompletableFuture<OpenSshCertificate>> targets = new ConcurrentHashMap<>();
    private volatile OpenSshCertificate own;
    /** The host CA key that signs now, as the CA last published it; null before the first refresh. */
    private volatile PublicKey signingCa;

    private HostKeys(KeyPair key, CaClient ca, List<String> ownNames, Clock clock, Executor executor) {
        this.key = key;
        this.ca = ca;
        this.ownNames = List.copyOf(ownNames);
        this.clock = clock;
        this.executor = executor;
    }

    /** Generates the key and fetches the certificate for the bastion's own names; the bastion does not start without it. */
    public static HostKeys create(CaClient ca, List<String> ownNames, Clock clock, Executor executor)
            throws CaException, GeneralSecurityException {
        HostKeys keys = new HostKeys(KeyUtils.generateKeyPair("ssh-ed25519", 256), ca, ownNames, clock, executor);
        keys.own = keys.fetch(ownNames);
        return keys;
    }

    /** The certificate for a target's name, from cache or from the CA. */
    public CompletableFuture<OpenSshCertificate> certificateFor(Target target) {
        CompletableFuture<OpenSshCertificate> cached = targets.get(target.name());
        if (cached != null && !(cached.isDone() && (cached.isCompletedExceptionally() || dueForRenewal(cached.join())))) {
            return cached;
        }
        CompletableFuture<OpenSshCertificate> fresh = CompletableFuture.supplyAsync(() -> {
            try {
                return fetch(List.of(target.name()));
            } catch (CaException e) {
                throw new CompletionException(e);
            }
        }, executor);
        targets.put(target.name(), fresh);
        return fresh;
    }

    /** Renews the bastion's own certificate when half its life is gone; a failure keeps the old one and is retried. */
    /**
     * Renews the bastion's host certificates at half-life, and at once when the host CA key that
     * signs now ({@code hostCas}' first) is not the one that signed them: after a rotation, so
     * that the old key can be retired.
     */
    public void renewIfDue(List<PublicKey> hostCas) {
        this.signingCa = hostCas.isEmpty() ? null : hostCas.get(0);
        if (dueForRenewal(own)) {
            try {
                own = fetch(ownNames);
            } catch (CaException e) {
                LOG.warn("cannot renew the bastion's host certificate (valid until {}): {}", Certificates.validBefore(own), e.getMessage());
            }
        }
        targets.values().removeIf(f -> f.isDone() && (f.isCompletedExceptionally() || dueForRenewal(f.join())));
    }

    @Override
    public Iterable<KeyPair> loadKeys(SessionContext session) {
        return List.of(key);
    }

    @Override
    public Iterable<OpenSshCertificate> loadCertificates(SessionContext session) {
        Target target = session instanceof Session s ? Connections.jumpTarget(s) : null;
        if (target == null) {
            return List.of(own);
        }
        CompletableFuture<OpenSshCertificate> certificate = targets.get(target.name());
        // the ProxyJump channel is confirmed only once its certificate is here
        return certificate != null && certificate.isDone() && !certificate.isCompletedExceptionally()
                ? List.of(certificate.join()) : List.of();
    }

    private boolean dueForRenewal(OpenSshCertificate certificate) {
        PublicKey signing = signingCa;
        if (signing != null && !KeyUtils.compareKeys(signing, certificate.getCaPubKey())) {
            return true;
        }
        Instant after = Instant.ofEpochSecond(certificate.getValidAfter());
        Instant before = Certificates.validBefore(certificate);
        Instant half = after.plus(Duration.between(after, before).dividedBy(2));
        return !clock.instant().isBefore(half);
    }

    private OpenSshCertificate fetch(List<String> names) throws CaException {
        var response = ca.hostCertificate(new BastionHostCertRequest(PublicKeyEntry.toString(key.getPublic()), names));
        try {
            OpenSshCertificate certificate = (OpenSshCertificate) PublicKeys.parse(response.certificate());
            LOG.info("host certificate for {} valid until {}", names, Certificates.validBefore(certificate));
            return certificate;
        } catch (InvalidKeyException | ClassCastException e) {
            throw new CaException(201, "the CA answered with something that is not a host certificate");
        }
    }
}
