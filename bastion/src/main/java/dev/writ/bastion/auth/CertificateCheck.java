package dev.writ.bastion.auth;

import dev.writ.bastion.route.Target;
import dev.writ.bastion.route.Targets;
import dev.writ.bastion.trust.Authority;
import dev.writ.bastion.trust.Trust;
import dev.writ.policy.Policy;
import dev.writ.policy.RecordingMode;
import dev.writ.policy.Role;
import dev.writ.protocol.ssh.Certificates;
import java.net.InetAddress;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * Every check of DESIGN.md's "certificates accepted by the bastion", in one pure function of the
 * offered key, the login, where the client is, and the current {@link Trust}. MINA calls it
 * twice per login (query, then signature) and it has no side effect, so that is harmless.
 *
 * <p>The order is fixed: what the key is, who signed it, when it is valid, what it says
 * (principals, critical options), whether it is revoked, then what the login asks for (the login
 * among the principals, the target known and allowed by policy).
 */
public final class CertificateCheck {

    private final Authority authority;
    private final Targets targets;
    private final Duration maxKrlStaleness;
    private final Clock clock;

    public CertificateCheck(Authority authority, Targets targets, Duration maxKrlStaleness, Clock clock) {
        this.authority = authority;
        this.targets = targets;
        this.maxKrlStaleness = maxKrlStaleness;
        this.clock = clock;
    }

    /**
     * @param username   the SSH user name: {@code login@target} (direct), {@code login} (inner ProxyJump,
     *                   with {@code jumpTarget}), anything else without {@code @} (outer ProxyJump)
     * @param client     the engineer's address (for an inner ProxyJump connection, the outer connection's)
     * @param jumpTarget the target of an inner ProxyJump connection, else null
     */
    public Verdict check(String username, PublicKey key, InetAddress client, Target jumpTarget) {
        Trust trust = authority.current();
        Instant now = clock.instant();
        // 1. a writ user certificate, signed by our user CA with a sound algorithm
        if (!(key instanceof OpenSshCertificate certificate)) {
            return refused("not_a_certificate", "writ: only writ certificates are accepted; run writ login", "plain public key", null);
        }
        if (certificate.getType() != OpenSshCertificate.Type.USER) {
            return refused("host_certificate", "writ: a host certificate cannot log in", "host certificate offered", certificate);
        }
        if (Certificates.isSha1Rsa(certificate)) {
            return refused("weak_signature", "writ: certificate signed with ssh-rsa (SHA-1)", "ssh-rsa CA signature", certificate);
        }
        if (!Certificates.signedBy(certificate, trust.userCas())) {
            return refused("unknown_ca", "writ: certificate not issued by this writ CA", "not signed by a trusted user CA key",
                    certificate);
        }
        // 2. inside its validity
        if (Certificates.notYetValid(certificate, now)) {
            return refused("certificate_not_yet_valid", "writ: certificate not valid yet", "valid_after in the future", certificate);
        }
        if (Certificates.expired(certificate, now)) {
            return refused("certificate_expired", "writ: certificate expired at "
                    + Certificates.validBefore(certificate) + "; get a new one with writ cert (or writ login)",
                    "valid_before passed", certificate);
        }
        // 3. what it says: principals, and only critical options we enforce
        if (certificate.getPrincipals().isEmpty()) {
            return refused("empty_principals", "writ: certificate names no login", "no principals", certificate);
        }
        Map<String, String> options = certificate.getCriticalOptionsMap();
        Optional<String> unknown = options.keySet().stream().filter(o -> !Certificates.KNOWN_CRITICAL_OPTIONS.contains(o)).findFirst();
        if (unknown.isPresent()) {
            return refused("unknown_critical_option", "writ: certificate has a critical option writ does not enforce",
                    "critical option " + printable(unknown.get()), certificate);
        }
        String sources = options.get("source-address");
        if (sources != null && !SourceAddress.allows(sources, client)) {
            return refused("source_address_mismatch", "writ: certificate not valid from this address",
                    "source-address " + printable(sources) + " does not include " + client.getHostAddress(), certificate);
        }
        // 4. not revoked, by a list that is fresh enough to say so
        if (!trust.krlFresh(now, maxKrlStaleness)) {
            return refused("revocation_list_stale", "writ: cannot check revocation right now; try again shortly",
                    "KRL last fetched " + trust.krlFetchedAt(), certificate);
        }
        if (trust.krl().revokes(certificate)) {
            return refused("certificate_revoked", "writ: certificate revoked", "in the KRL", certificate);
        }
        // 5. what the login asks for: one role of the certificate gives both the login and the target
        if (jumpTarget == null && username.indexOf('@') < 0) {
            return outerJump(certificate);
        }
        String login = jumpTarget == null ? username.substring(0, username.indexOf('@')) : username;
        String targetName = jumpTarget == null ? username.substring(username.indexOf('@') + 1) : jumpTarget.name();
        if (login.isEmpty() || login.indexOf('@') >= 0) {
            return refused("bad_login", "writ: log in as LOGIN@TARGET", "user name " + printable(username), certificate);
        }
        if (!certificate.getPrincipals().contains(login)) {
            return refused("login_not_a_principal", "writ: your certificate does not allow login " + printable(login),
                    "login " + printable(login) + " not among " + certificate.getPrincipals(), certificate);
        }
        Optional<Target> target = jumpTarget != null ? Optional.of(jumpTarget) : targets.find(targetName);
        if (target.isEmpty()) {
            return refused("unknown_target", "writ: no target named " + printable(targetName),
                    "target " + printable(targetName) + " unknown", certificate);
        }
        if (Certificates.roles(certificate).size() > 1 && !Certificates.hasLoginsByRole(certificate)) {
            return refused("certificate_without_role_logins", "writ: this certificate does not say which role gives which"
                    + " login; get a new one with writ cert", "no " + Certificates.LOGINS_EXTENSION, certificate);
        }
        Optional<Role> role = trust.policy().sessionRole(Certificates.loginsByRole(certificate), login,
                target.get().name(), target.get().labels());
        if (role.isEmpty()) {
            String why = "no role of " + printable(certificate.getId()) + " allows login " + printable(login) + " on "
                    + target.get().name();
            return refused("target_not_allowed", "writ: " + why, why + " (roles " + Certificates.roles(certificate) + ")",
                    certificate);
        }
        return accepted(jumpTarget == null ? Grant.Kind.DIRECT : Grant.Kind.JUMP_INNER, certificate, login, target.get(),
                role.get());
    }

    /**
     * Whether the connection's roles reach {@code target}: on the outer connection of a ProxyJump any
     * role of the certificate (the inner connection is then decided on its own); on a session, its
     * deciding role (forwarded ports).
     */
    public boolean allows(Grant grant, Target target) {
        return authority.current().policy().allowsTarget(grant.roles(), target.name(), target.labels());
    }

    /** A session on a target, governed by the one role that decides it. */
    private static Verdict accepted(Grant.Kind kind, OpenSshCertificate certificate, String login, Target target, Role role) {
        Set<String> permitted = new TreeSet<>(role.extensions());
        permitted.retainAll(certificate.getExtensionsMap().keySet());
        List<String> granted = role.isRequestable() && !role.hasStandingMatch() ? List.of(role.name()) : List.of();
        return new Verdict.Accepted(new Grant(kind, certificate.getId(), certificate, login, target, List.of(role.name()),
                certificate.getCriticalOptionsMap().get("force-command"), role.idleTimeout(),
                Certificates.validBefore(certificate), role.recording(), role.recordInput(), granted, permitted,
                role.channels()));
    }

    /**
     * The outer connection of {@code ssh -J}: it only carries inner connections, each decided on
     * its own; it holds every role of the certificate, to tell which targets it may reach at all.
     */
    private static Verdict outerJump(OpenSshCertificate certificate) {
        return new Verdict.Accepted(new Grant(Grant.Kind.JUMP, certificate.getId(), certificate, null, null,
                Certificates.roles(certificate), certificate.getCriticalOptionsMap().get("force-command"), null,
                Certificates.validBefore(certificate), RecordingMode.BEST_EFFORT, false, List.of(),
                certificate.getExtensionsMap().keySet()));
    }

    private static Verdict refused(String reason, String message, String detail, OpenSshCertificate certificate) {
        return new Verdict.Refused(reason, message, detail, certificate == null ? null : printable(certificate.getId()),
                certificate == null ? null : Long.toUnsignedString(certificate.getSerial()));
    }

    /** What a client sent, echoed only as short printable ASCII. */
    static String printable(String text) {
        String cleaned = String.valueOf(text).replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
