package dev.writ.bastion.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.writ.bastion.route.Target;
import dev.writ.bastion.route.Targets;
import dev.writ.bastion.trust.Authority;
import dev.writ.bastion.trust.Trust;
import dev.writ.bastion.config.BastionConfig;
import dev.writ.policy.Policy;
import dev.writ.protocol.krl.Krl;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every decision of {@link CertificateCheck}, on certificates built with MINA and a fixed clock. */
class CertificateCheckTest {

    static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: [root, deploy]
                targets: [ { hosts: ["web*"] }, { labels: { env: dev } } ]
                max_ttl: 8h
                extensions: [permit-pty]
                idle_timeout: 30m
              - name: ops
                match: { groups: [ops] }
                principals: [root]
                targets: [ { hosts: ["ops*"] } ]
                max_ttl: 8h
                extensions: [permit-pty, permit-port-forwarding]
                idle_timeout: 10m
            """;
    static KeyPair ca;
    static KeyPair otherCa;
    static KeyPair rsaCa;
    static KeyPair user;
    static Targets targets;

    @BeforeAll
    static void keys() throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        ca = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        otherCa = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        rsaCa = KeyUtils.generateKeyPair("ssh-rsa", 2048);
        user = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        targets = new Targets(List.of(new BastionConfig.Target("web01", "10.0.0.1:22", Map.of()),
                new BastionConfig.Target("db01", "10.0.0.2:22", Map.of("env", "dev")),
                new BastionConfig.Target("vault01", "10.0.0.3:22", Map.of("env", "prod"))), List.of());
    }

    /** A valid certificate for {@code root} and {@code deploy}, adjusted by {@code change}. */
    static PublicKey certificate(UnaryOperator<OpenSshCertificateBuilder> change, KeyPair signer, String algorithm) throws Exception {
        OpenSshCertificateBuilder builder = OpenSshCertificateBuilder.userCertificate().publicKey(user.getPublic()).serial(42)
                .id("alice@example.com").principals(List.of("root", "deploy")).validAfter(NOW.minusSeconds(60))
                .validBefore(NOW.plus(Duration.ofHours(1))).extension("permit-pty", "").extension("roles@writ", "engineer");
        return change.apply(builder).sign(signer, algorithm);
    }

    static PublicKey certificate(UnaryOperator<OpenSshCertificateBuilder> change) throws Exception {
        return certificate(change, ca, "ssh-ed25519");
    }

    static CertificateCheck check(Krl krl, Instant krlFetched) throws Exception {
        Trust trust = new Trust(List.of(ca.getPublic()), List.of(), krl, krlFetched, Policy.parse("policy.yaml", POLICY));
        return new CertificateCheck(Authority.fixed(trust), targets, Duration.ofSeconds(30), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    static Krl emptyKrl() {
        return new Krl(1, NOW, "", List.of(), Set.of());
    }

    static Verdict check(String user, PublicKey key, String client, Target jumpTarget) throws Exception {
        return check(emptyKrl(), NOW).check(user, key, InetAddress.getByName(client), jumpTarget);
    }

    static Stream<Arguments> refusals() throws Exception {
        KeyPair hostKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        return Stream.of(
                Arguments.of("fail/plain-key", user.getPublic(), "root@web01", "not_a_certificate"),
                Arguments.of("fail/host-certificate", OpenSshCertificateBuilder.hostCertificate().publicKey(hostKey.getPublic())
                        .serial(1).id("host").principals(List.of("root")).validAfter(NOW.minusSeconds(60))
                        .validBefore(NOW.plusSeconds(3600)).sign(ca, "ssh-ed25519"), "root@web01", "host_certificate"),
                Arguments.of("fail/another-ca", certificate(b -> b, otherCa, "ssh-ed25519"), "root@web01", "unknown_ca"),
                Arguments.of("fail/sha1-rsa-signature", certificate(b -> b, rsaCa, "ssh-rsa"), "root@web01", "weak_signature"),
                Arguments.of("fail/our-rsa-key-is-not-our-ca", certificate(b -> b, rsaCa, "rsa-sha2-512"), "root@web01", "unknown_ca"),
                Arguments.of("fail/not-yet-valid", certificate(b -> b.validAfter(NOW.plusSeconds(10))), "root@web01",
                        "certificate_not_yet_valid"),
                Arguments.of("fail/valid-before-is-now", certificate(b -> b.validBefore(NOW)), "root@web01", "certificate_expired"),
                Arguments.of("fail/empty-principals", certificate(b -> b.principals(List.of())), "root@web01", "empty_principals"),
                Arguments.of("fail/unknown-critical-option", certificate(b -> b.criticalOption("verify-required", "")), "root@web01",
                        "unknown_critical_option"),
                Arguments.of("fail/source-address-mismatch", certificate(b -> b.criticalOption("source-address", "10.0.0.0/8")),
                        "root@web01", "source_address_mismatch"),
                Arguments.of("fail/source-address-with-a-name", certificate(b -> b.criticalOption("source-address", "localhost")),
                        "root@web01", "source_address_mismatch"),
                Arguments.of("fail/login-not-a-principal", certificate(b -> b), "admin@web01", "login_not_a_principal"),
                Arguments.of("fail/empty-login", certificate(b -> b), "@web01", "bad_login"),
                Arguments.of("fail/unknown-target", certificate(b -> b), "root@nowhere", "unknown_target"),
                Arguments.of("fail/target-not-allowed", certificate(b -> b), "root@vault01", "target_not_allowed"),
                Arguments.of("fail/role-the-policy-does-not-know", certificate(b -> b.extension("roles@writ", "admin")),
                        "root@web01", "target_not_allowed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refuses(String name, PublicKey key, String username, String reason) throws Exception {
        Verdict verdict = check(username, key, "127.0.0.1", null);
        assertEquals(reason, assertInstanceOf(Verdict.Refused.class, verdict).reason());
    }

    @Test
    void okDirectLoginIsDecidedByTheOneRoleThatGivesTheLoginAndTheTarget() throws Exception {
        Verdict verdict = check("root@web01", certificate(b -> b.extension("roles@writ", "engineer,ops")
                .extension("logins@writ", "engineer=deploy,root;ops=root").extension("permit-port-forwarding", "")), "127.0.0.1", null);
        Grant grant = assertInstanceOf(Verdict.Accepted.class, verdict).grant();
        assertEquals(Grant.Kind.DIRECT, grant.kind());
        assertEquals("root", grant.login());
        assertEquals("web01", grant.target().name());
        assertEquals(List.of("engineer"), grant.roles());
        assertEquals(Duration.ofMinutes(30), grant.idleTimeout(), "engineer's idle timeout, not the shorter one of ops");
        assertEquals(Set.of("permit-pty"), grant.permitted(), "ops's port forwarding does not reach engineer's targets");
        assertEquals("alice@example.com", grant.identity());
    }

    @Test
    void refusesTheLoginOfOneRoleOnTheTargetOfAnother() throws Exception {
        Verdict verdict = check("root@web01", certificate(b -> b.extension("roles@writ", "engineer,ops")
                .extension("logins@writ", "engineer=deploy;ops=root")), "127.0.0.1", null);
        Verdict.Refused refused = assertInstanceOf(Verdict.Refused.class, verdict);
        assertEquals("target_not_allowed", refused.reason());
        assertEquals("writ: no role of alice@example.com allows login root on web01", refused.message());
    }

    @Test
    void refusesACertificateOfSeveralRolesThatDoesNotSayWhichGivesWhichLogin() throws Exception {
        Verdict verdict = check("root@web01", certificate(b -> b.extension("roles@writ", "engineer,ops")), "127.0.0.1", null);
        assertEquals("certificate_without_role_logins", assertInstanceOf(Verdict.Refused.class, verdict).reason());
    }

    @Test
    void okTargetReachedThroughItsLabels() throws Exception {
        Verdict verdict = check("deploy@db01", certificate(b -> b), "127.0.0.1", null);
        assertEquals("db01", assertInstanceOf(Verdict.Accepted.class, verdict).grant().target().name());
    }

    @Test
    void okJumpConnectionNeedsNoLoginOrTarget() throws Exception {
        Verdict verdict = check("alice", certificate(b -> b), "127.0.0.1", null);
        assertEquals(Grant.Kind.JUMP, assertInstanceOf(Verdict.Accepted.class, verdict).grant().kind());
    }

    @Test
    void okInnerJumpConnectionTakesItsTargetFromTheTransport() throws Exception {
        Target web01 = targets.find("web01").orElseThrow();
        Verdict verdict = check("root", certificate(b -> b), "127.0.0.1", web01);
        Grant grant = assertInstanceOf(Verdict.Accepted.class, verdict).grant();
        assertEquals(Grant.Kind.JUMP_INNER, grant.kind());
        assertEquals(web01, grant.target());
        // on the inner connection the user name is the login alone
        assertEquals("bad_login", assertInstanceOf(Verdict.Refused.class,
                check("root@web01", certificate(b -> b), "127.0.0.1", web01)).reason());
    }

    @Test
    void okForceCommandIsAcceptedAndCarriedForEnforcement() throws Exception {
        Verdict verdict = check("deploy@web01", certificate(b -> b.criticalOption("force-command", "/usr/local/bin/deploy")),
                "127.0.0.1", null);
        assertEquals("/usr/local/bin/deploy", assertInstanceOf(Verdict.Accepted.class, verdict).grant().forceCommand());
    }

    @Test
    void okSourceAddressIncludingTheClient() throws Exception {
        PublicKey key = certificate(b -> b.criticalOption("source-address", "192.0.2.1,127.0.0.0/8"));
        assertInstanceOf(Verdict.Accepted.class, check("root@web01", key, "127.0.0.1", null));
        assertInstanceOf(Verdict.Accepted.class, check("root@web01", key, "::ffff:127.0.0.1", null));
        assertInstanceOf(Verdict.Refused.class, check("root@web01", key, "::1", null));
    }

    @Test
    void failRevokedBySerialKeyIdOrKey() throws Exception {
        PublicKey key = certificate(b -> b);
        InetAddress client = InetAddress.getLoopbackAddress();
        for (Krl krl : List.of(
                new Krl(2, NOW, "", List.of(new Krl.CertificateRevocations(ca.getPublic(), new TreeSet<>(Set.of(42L)), new TreeSet<>())), Set.of()),
                new Krl(2, NOW, "", List.of(new Krl.CertificateRevocations(null, new TreeSet<>(), new TreeSet<>(Set.of("alice@example.com")))), Set.of()),
                new Krl(2, NOW, "", List.of(), Set.of(Krl.fingerprint(user.getPublic()))))) {
            assertEquals("certificate_revoked", assertInstanceOf(Verdict.Refused.class,
                    check(krl, NOW).check("root@web01", key, client, null)).reason());
        }
    }

    @Test
    void failWhileTheRevocationListIsStale() throws Exception {
        Verdict verdict = check(emptyKrl(), NOW.minusSeconds(31)).check("root@web01", certificate(b -> b),
                InetAddress.getLoopbackAddress(), null);
        assertEquals("revocation_list_stale", assertInstanceOf(Verdict.Refused.class, verdict).reason());
    }
}
