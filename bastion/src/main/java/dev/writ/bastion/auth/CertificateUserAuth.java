package dev.writ.bastion.auth;

import dev.writ.protocol.ssh.MalformedKeyException;
import dev.writ.protocol.ssh.StrictSshBlob;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.PublicKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.auth.UserAuth;
import org.apache.sshd.server.auth.UserAuthFactory;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKey;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Public-key authentication with writ certificates, the only method the bastion offers.
 *
 * <p>Extends MINA's {@code UserAuthPublicKey} for two things it has no hook for: MINA refuses a
 * certificate carrying {@code force-command} outright (the bastion accepts and enforces it), and
 * MINA refuses expired or wrongly signed certificates before consulting any authenticator, so
 * their refusals would leave no audit record. Every key offered is first read as strictly as
 * OpenSSH reads it ({@link StrictSshBlob}), then {@link CertificateCheck} decides; MINA then checks
 * the signature over the session, as usual.
 */
public final class CertificateUserAuth extends UserAuthPublicKey {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateUserAuth.class);

    private final CertificateCheck check;
    private final LoginGate gate;

    private CertificateUserAuth(CertificateCheck check, LoginGate gate) {
        this.check = check;
        this.gate = gate;
    }

    public static UserAuthFactory factory(CertificateCheck check, LoginGate gate) {
        return new UserAuthFactory() {
            @Override
            public String getName() {
                return NAME;
            }

            @Override
            public UserAuth createUserAuth(ServerSession session) {
                return new CertificateUserAuth(check, gate);
            }
        };
    }

    /** The same check as the authenticator MINA consults after its own checks; it keeps the grant of the accepted key. */
    public static PublickeyAuthenticator authenticator(CertificateCheck check, LoginGate gate) {
        return (username, key, session) -> {
            Verdict verdict = verdict(check, gate, username, key, session);
            if (verdict instanceof Verdict.Accepted accepted) {
                Connections.setGrant(session, accepted.grant()); // the same grant each time: idempotent
                return true;
            }
            return false;
        };
    }

    @Override
    public Boolean doAuth(Buffer buffer, boolean init) throws Exception {
        ServerSession session = getServerSession();
        if (offered(buffer, session) instanceof Verdict.Refused refused) {
            LoginAttempts attempts = LoginAttempts.of(session);
            attempts.refused(refused, getUsername());
            LOG.info("login refused for {} from {}: {} ({})", refused.identity(), session.getClientAddress(),
                    refused.reason(), refused.detail());
            if (attempts.banner(refused)) {
                banner(session, refused.message());
            }
            return Boolean.FALSE;
        }
        return super.doAuth(buffer, init);
    }

    /**
     * {@link CertificateCheck} already enforced every critical option: source-address against the
     * client, force-command by the relay, anything else refused.
     */
    @Override
    protected void verifyCriticalOptions(ServerSession session, OpenSshCertificate cert) {
    }

    static Verdict verdict(CertificateCheck check, LoginGate gate, String username, PublicKey key, ServerSession session) {
        InetAddress client = session.getClientAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
        Verdict verdict = check.check(username, key, client, Connections.jumpTarget(session));
        if (verdict instanceof Verdict.Accepted accepted) {
            Verdict.Refused refused = gate.admit(accepted.grant(), client);
            return refused == null ? verdict : refused;
        }
        return verdict;
    }

    /**
     * The verdict on the key of a publickey request, read without consuming the buffer: first
     * whether its blob is one OpenSSH would read at all (MINA reads more leniently), then
     * {@link CertificateCheck}. Null when the request itself cannot be read: MINA refuses it then.
     */
    private Verdict offered(Buffer buffer, ServerSession session) {
        int position = buffer.rpos();
        String algorithm;
        byte[] blob;
        try {
            buffer.getBoolean(); // has signature
            algorithm = buffer.getString();
            blob = buffer.getBytes();
        } catch (Exception e) {
            return null;
        } finally {
            buffer.rpos(position);
        }
        String malformed = malformed(algorithm, blob);
        if (malformed != null) {
            return new Verdict.Refused("malformed_key", "writ: the key offered is malformed", malformed, null, null);
        }
        PublicKey key;
        try {
            key = new ByteArrayBuffer(blob).getRawPublicKey();
        } catch (Exception e) {
            return null;
        }
        return verdict(check, gate, getUsername(), key, session);
    }

    /** Why OpenSSH would refuse this blob offered under this algorithm name, or null when it would not. */
    private static String malformed(String algorithm, byte[] blob) {
        try {
            StrictSshBlob.Shape shape = StrictSshBlob.check(blob);
            if (!shape.type().equals(KeyUtils.getCanonicalKeyType(algorithm))) {
                return "algorithm " + CertificateCheck.printable(algorithm) + " offered with a " + shape.type() + " key";
            }
            return null;
        } catch (MalformedKeyException e) {
            return e.getMessage();
        }
    }

    /** RFC 4252 allows a banner at any time before success; it is how the engineer learns why. */
    private static void banner(ServerSession session, String message) {
        try {
            Buffer packet = session.createBuffer(SshConstants.SSH_MSG_USERAUTH_BANNER, message.length() + 16);
            packet.putString(message + "\r\n");
            packet.putString("");
            session.writePacket(packet);
        } catch (Exception e) {
            LOG.debug("cannot send a banner: {}", e.toString());
        }
    }
}
