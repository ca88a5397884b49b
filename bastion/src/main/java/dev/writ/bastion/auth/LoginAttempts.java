package dev.writ.bastion.auth;

import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.session.Session;

/**
 * The refusals of one connection's login, kept on the session until it ends: a client tries
 * several keys and MINA asks twice per key, but the audit log gets one event per failed login.
 */
public final class LoginAttempts {

    private static final AttributeRepository.AttributeKey<LoginAttempts> KEY = new AttributeRepository.AttributeKey<>();

    private final List<Verdict.Refused> refusals = new ArrayList<>();
    private String username;
    private boolean bannerSent;
    private boolean certificateBannerSent;

    public static LoginAttempts of(Session session) {
        return session.computeAttributeIfAbsent(KEY, k -> new LoginAttempts());
    }

    /** Null when nothing was ever refused on this session. */
    public static LoginAttempts existing(Session session) {
        return session.getAttribute(KEY);
    }

    synchronized void refused(Verdict.Refused refusal, String user) {
        username = user;
        if (refusals.stream().noneMatch(r -> r.reason().equals(refusal.reason()) && java.util.Objects.equals(r.serial(), refusal.serial()))) {
            refusals.add(refusal);
        }
    }

    /**
     * Whether to tell the client about this refusal: the first one of the connection, and the
     * first about a certificate after one about a plain key (ssh -i offers the plain key before
     * its certificate, and the certificate's refusal is the one that explains).
     */
    synchronized boolean banner(Verdict.Refused refusal) {
        boolean tell = !bannerSent || (!certificateBannerSent && refusal.serial() != null);
        bannerSent = true;
        certificateBannerSent |= refusal.serial() != null;
        return tell;
    }

    /**
     * The refusal that explains the failed login: the first one about a certificate, since a
     * client also offers the plain key behind it and that refusal says nothing.
     */
    public synchronized Verdict.Refused primary() {
        return refusals.stream().filter(r -> r.serial() != null).findFirst().orElse(refusals.isEmpty() ? null : refusals.get(0));
    }

    public synchronized List<Verdict.Refused> all() {
        return List.copyOf(refusals);
    }

    public synchronized String username() {
        return username;
    }
}
