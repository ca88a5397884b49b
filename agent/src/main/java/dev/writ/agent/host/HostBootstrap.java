package dev.writ.agent.host;

import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.HostCertRequest;
import dev.writ.protocol.ssh.PublicKeys;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/**
 * {@code writ host bootstrap}: the host key (kept when present), a certificate for it from the
 * CA, the keys sshd trusts for logins (writ's session CA), and a note of which CA to renew with, all in one directory.
 */
final class HostBootstrap {

    /** What the host presents to the CA: exactly one of the two. */
    sealed interface Credential {
        String authorization();

        /** A workload OIDC token from the CI platform or cloud. */
        record Workload(String token) implements Credential {
            public String authorization() {
                return "Bearer " + token;
            }

            @Override
            public String toString() {
                return "Workload[token hidden]";
            }
        }

        /** A one-time join token an admin created for this host's names. */
        record JoinToken(String token) implements Credential {
            public String authorization() {
                return "JoinToken " + token;
            }

            @Override
            public String toString() {
                return "JoinToken[token hidden]";
            }
        }
    }

    /** What bootstrap did. */
    record Result(CertificateResponse certificate, boolean keyCreated, HostFiles files) {
    }

    private HostBootstrap() {
    }

    static Result run(HostCaClient ca, Credential credential, List<String> hostnames, String ttl, HostFiles files)
            throws HostCommandException {
        HostFiles.HostKey key = files.loadOrCreateKey();
        CertificateResponse issued = ca.hostCertificate(credential.authorization(),
                new HostCertRequest(PublicKeyEntry.toString(key.pair().getPublic()), hostnames, ttl));
        requireCertificateFor(issued.certificate(), key);
        files.writeCertificate(issued.certificate());
        files.writeUserCaKeys(ca.userCaKeys());
        files.writeState(ca.url());
        return new Result(issued, key.created(), files);
    }

    /** A certificate for another key would make sshd drop it silently: better to stop here. */
    static void requireCertificateFor(String line, HostFiles.HostKey key) throws HostCommandException {
        try {
            if (PublicKeys.parse(line) instanceof OpenSshCertificate c
                    && c.getType() == OpenSshCertificate.Type.HOST
                    && KeyUtils.compareKeys(c.getCertPubKey(), key.pair().getPublic())) {
                return;
            }
        } catch (Exception malformed) {
            // reported below
        }
        throw new HostCommandException(dev.writ.agent.Exit.CA_REFUSED, "the CA answered with something that is not a host certificate for this host's key");
    }
}
