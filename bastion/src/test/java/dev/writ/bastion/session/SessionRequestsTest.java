package dev.writ.bastion.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.writ.bastion.auth.Grant;
import dev.writ.bastion.relay.RequestPolicy;
import dev.writ.policy.RecordingMode;
import java.security.KeyPair;
import java.security.Security;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What may be asked on a session channel, per the certificate's extensions and options. */
class SessionRequestsTest {

    static Grant grant(List<String> extensions, String forceCommand) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        KeyPair ca = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        OpenSshCertificateBuilder builder = OpenSshCertificateBuilder.userCertificate()
                .publicKey(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic()).serial(1).id("alice@example.com")
                .principals(List.of("root")).validAfter(Instant.now().minusSeconds(60)).validBefore(Instant.now().plusSeconds(600));
        extensions.forEach(e -> builder.extension(e, ""));
        if (forceCommand != null) {
            builder.criticalOption("force-command", forceCommand);
        }
        OpenSshCertificate certificate = builder.sign(ca, "ssh-ed25519");
        return new Grant(Grant.Kind.DIRECT, "alice@example.com", certificate, "root", null, List.of(), forceCommand, null,
                Instant.now().plusSeconds(600), RecordingMode.BEST_EFFORT, false, List.of(), Set.copyOf(extensions));
    }

    static byte[] string(String s) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putString(s);
        return buffer.getCompactData();
    }

    static byte[] env(String name, String value) {
        ByteArrayBuffer buffer = new ByteArrayBuffer();
        buffer.putString(name);
        buffer.putString(value);
        return buffer.getCompactData();
    }

    @Test
    void ptyOnlyWithPermitPty() throws Exception {
        assertInstanceOf(RequestPolicy.Relay.class, new SessionRequests(grant(List.of("permit-pty"), null), () -> { })
                .fromClient("pty-req", new byte[0]));
        RequestPolicy.Refuse refused = assertInstanceOf(RequestPolicy.Refuse.class,
                new SessionRequests(grant(List.of(), null), () -> { }).fromClient("pty-req", new byte[0]));
        assertEquals("pty_not_permitted", refused.reason());
    }

    @Test
    void agentForwardingOnlyWithPermitAgentForwardingAndRemembered() throws Exception {
        AtomicBoolean requested = new AtomicBoolean();
        assertInstanceOf(RequestPolicy.Refuse.class, new SessionRequests(grant(List.of(), null), () -> requested.set(true))
                .fromClient("auth-agent-req@openssh.com", new byte[0]));
        assertEquals(false, requested.get());
        assertInstanceOf(RequestPolicy.Relay.class, new SessionRequests(grant(List.of("permit-agent-forwarding"), null),
                () -> requested.set(true)).fromClient("auth-agent-req@openssh.com", new byte[0]));
        assertEquals(true, requested.get());
    }

    @Test
    void neverX11EvenWithTheExtension() throws Exception {
        assertInstanceOf(RequestPolicy.Refuse.class, new SessionRequests(grant(List.of("permit-X11-forwarding"), null), () -> { })
                .fromClient("x11-req", new byte[0]));
    }

    @ParameterizedTest
    @CsvSource({"LANG,true", "TERM,true", "LC_ALL,true", "LC_TIME,true", "LD_PRELOAD,false", "PATH,false", "LC_,false",
            "lang,false", "BASH_ENV,false"})
    void environmentOnlyFromTheAllowlist(String name, boolean allowed) throws Exception {
        RequestPolicy.Decision decision = new SessionRequests(grant(List.of(), null), () -> { }).fromClient("env", env(name, "x"));
        assertEquals(allowed, decision instanceof RequestPolicy.Relay);
    }

    @Test
    void aRefusedVariableIsNamedForTheAuditLog() throws Exception {
        RequestPolicy.Refuse refused = assertInstanceOf(RequestPolicy.Refuse.class,
                new SessionRequests(grant(List.of(), null), () -> { }).fromClient("env", env("LD_PRELOAD", "/tmp/x.so")));
        assertEquals("env_not_allowed", refused.reason());
        assertEquals("LD_PRELOAD", refused.requested());
    }

    /** Keepalives expect "failure": declined, which is not a refusal (nothing is audited or counted). */
    @ParameterizedTest
    @CsvSource({"keepalive@openssh.com", "winadj@putty.projects.tartarus.org", "simple@putty.projects.tartarus.org"})
    void courtesyRequestsAreDeclinedNotRefused(String type) throws Exception {
        SessionRequests requests = new SessionRequests(grant(List.of("permit-pty"), null), () -> { });
        assertInstanceOf(RequestPolicy.Decline.class, requests.fromClient(type, new byte[0]));
        assertInstanceOf(RequestPolicy.Decline.class, RequestPolicy.DATA_ONLY.fromClient(type, new byte[0]));
        assertInstanceOf(RequestPolicy.Decline.class, RequestPolicy.DATA_ONLY.fromTarget(type, new byte[0]));
    }

    @ParameterizedTest
    @CsvSource({"shell,", "exec,rm -rf /", "subsystem,sftp"})
    void forceCommandReplacesWhateverIsAsked(String type, String argument) throws Exception {
        RequestPolicy.Decision decision = new SessionRequests(grant(List.of(), "/usr/local/bin/deploy"), () -> { })
                .fromClient(type, argument == null ? new byte[0] : string(argument));
        RequestPolicy.Relay relay = assertInstanceOf(RequestPolicy.Relay.class, decision);
        assertEquals("exec", relay.type());
        assertArrayEquals(string("/usr/local/bin/deploy"), relay.payload());
    }

    @Test
    void unknownRequestsAreRefusedBothWays() throws Exception {
        SessionRequests requests = new SessionRequests(grant(List.of("permit-pty"), null), () -> { });
        assertEquals("request_not_allowed", assertInstanceOf(RequestPolicy.Refuse.class,
                requests.fromClient("exotic@example.com", new byte[0])).reason());
        assertEquals("target_request_not_allowed", assertInstanceOf(RequestPolicy.Refuse.class,
                requests.fromTarget("exotic@example.com", new byte[0])).reason());
        assertInstanceOf(RequestPolicy.Relay.class, requests.fromTarget("exit-status", new byte[4]));
        assertInstanceOf(RequestPolicy.Relay.class, requests.fromTarget("exit-signal", new byte[0]));
        assertInstanceOf(RequestPolicy.Relay.class, requests.fromClient("window-change", new byte[16]));
        assertInstanceOf(RequestPolicy.Relay.class, requests.fromClient("signal", string("INT")));
    }
}
