package dev.writ.e2e.bastion;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.PublicKeyAuthenticationReporter;
import org.apache.sshd.client.auth.pubkey.PublicKeyIdentity;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKey;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * A client that does what OpenSSH's will not: offer any certificate as it is (a host
 * certificate, for one), and send window changes and signals on demand. Test code only.
 */
final class MinaClient implements AutoCloseable {

    private final SshClient client = SshClient.setUpDefaultClient();

    MinaClient() {
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE); // what the bastion presents is tested elsewhere
        client.setUserAuthFactories(List.of(new UserAuthPublicKeyFactory() {
            @Override
            public UserAuthPublicKey createUserAuth(ClientSession session) {
                return new OfferAnything();
            }
        }));
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        client.start();
    }

    /** Connects as {@code user} offering the key in {@code keyFile} with the certificate in {@code certificateFile}. */
    ClientSession login(int port, String user, Path keyFile, Path certificateFile) throws Exception {
        ClientSession session = client.connect(user, "127.0.0.1", port).verify(Duration.ofSeconds(10)).getSession();
        KeyPair key;
        try (InputStream in = Files.newInputStream(keyFile)) {
            key = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(keyFile.toString()), in, FilePasswordProvider.EMPTY)
                    .iterator().next();
        }
        PublicKey certificate = PublicKeyEntry.parsePublicKeyEntry(Files.readString(certificateFile).strip())
                .resolvePublicKey(null, null, null);
        session.addPublicKeyIdentity(new KeyPair(certificate, key.getPrivate()));
        session.auth().verify(Duration.ofSeconds(10));
        return session;
    }

    @Override
    public void close() {
        client.stop();
    }

    /** Offers every identity, whatever kind of certificate it is. */
    private static final class OfferAnything extends UserAuthPublicKey {
        @Override
        protected PublicKeyIdentity resolveAttemptedPublicKeyIdentity(ClientSession session, String service,
                                                                      PublicKeyAuthenticationReporter reporter) {
            return keys != null && keys.hasNext() ? keys.next() : null;
        }
    }
}
