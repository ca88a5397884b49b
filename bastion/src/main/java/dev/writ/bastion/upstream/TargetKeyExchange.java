package dev.writ.bastion.upstream;

import java.util.List;
import java.util.function.BiPredicate;
import org.apache.sshd.client.kex.DHGClient;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.DHFactory;
import org.apache.sshd.common.kex.KeyExchange;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.apache.sshd.common.session.Session;

/**
 * MINA's client key exchange, except for the check of the target's host certificate. MINA
 * compares the certificate's principals with the host string of the address it connected to,
 * which is an IP address since the bastion resolves target names itself; the target's
 * certificate names it as the engineer knows it. MINA has no hook for that comparison, hence
 * this one-level subclass, which checks the certificate against the target's name instead.
 */
final class TargetKeyExchange extends DHGClient {

    private final BiPredicate<Session, OpenSshCertificate> valid;

    private TargetKeyExchange(DHFactory factory, Session session, BiPredicate<Session, OpenSshCertificate> valid) {
        super(factory, session);
        this.valid = valid;
    }

    /** Key exchange factories, in this order, that check host certificates with {@code valid}. */
    static List<KeyExchangeFactory> factories(List<BuiltinDHFactories> preferred, BiPredicate<Session, OpenSshCertificate> valid) {
        return preferred.stream().filter(BuiltinDHFactories::isSupported).map(dh -> (KeyExchangeFactory) new KeyExchangeFactory() {
            @Override
            public String getName() {
                return dh.getName();
            }

            @Override
            public KeyExchange createKeyExchange(Session session) {
                return new TargetKeyExchange(dh, session, valid);
            }
        }).toList();
    }

    @Override
    protected void verifyCertificate(Session session, OpenSshCertificate certificate) throws Exception {
        if (!valid.test(session, certificate)) {
            throw new SshException(SshConstants.SSH2_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
                    "the target's host certificate is not one of our host CA's for its name (id " + certificate.getId() + ")");
        }
    }
}
