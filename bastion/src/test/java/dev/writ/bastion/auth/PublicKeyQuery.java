package dev.writ.bastion.auth;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.AbstractUserAuth;
import org.apache.sshd.client.auth.AbstractUserAuthFactory;
import org.apache.sshd.client.auth.UserAuth;
import org.apache.sshd.client.auth.keyboard.UserInteraction;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * A MINA client that sends the bastion one publickey query (RFC 4252 section 7, has-signature
 * false) with any algorithm name and any key blob, which OpenSSH's client never sends malformed.
 * The bastion decides on the query: SSH_MSG_USERAUTH_PK_OK means it would take that key. Test
 * code only.
 */
final class PublicKeyQuery {

    /**
     * @param keyAccepted whether the bastion answered PK_OK
     * @param banners     what it told the user (SSH_MSG_USERAUTH_BANNER)
     */
    record Outcome(boolean authenticated, boolean keyAccepted, List<String> banners) {
    }

    private PublicKeyQuery() {
    }

    static Outcome send(int port, String user, String algorithm, byte[] blob) throws Exception {
        List<String> banners = new CopyOnWriteArrayList<>();
        AtomicBoolean keyAccepted = new AtomicBoolean();
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE); // what the bastion presents is tested elsewhere
        client.setUserInteraction(new UserInteraction() {
            @Override
            public void welcome(ClientSession session, String banner, String lang) {
                banners.add(banner.strip());
            }

            @Override
            public String[] interactive(ClientSession session, String name, String instruction, String lang, String[] prompt,
                                        boolean[] echo) {
                return null;
            }

            @Override
            public String getUpdatedPassword(ClientSession session, String prompt, String lang) {
                return null;
            }
        });
        client.setUserAuthFactories(List.of(new AbstractUserAuthFactory("publickey") {
            @Override
            public UserAuth createUserAuth(ClientSession session) {
                return new Query(algorithm, blob, keyAccepted);
            }
        }));
        client.start();
        try (ClientSession session = client.connect(user, "127.0.0.1", port).verify(Duration.ofSeconds(10)).getSession()) {
            AuthFuture auth = session.auth();
            auth.await(Duration.ofSeconds(10));
            return new Outcome(auth.isSuccess(), keyAccepted.get(), List.copyOf(banners));
        } finally {
            client.stop();
        }
    }

    /** Sends the query once; a second try, after the bastion's answer, has nothing more to offer. */
    private static final class Query extends AbstractUserAuth {
        private final String algorithm;
        private final byte[] blob;
        private final AtomicBoolean keyAccepted;
        private boolean sent;

        Query(String algorithm, byte[] blob, AtomicBoolean keyAccepted) {
            super("publickey");
            this.algorithm = algorithm;
            this.blob = blob;
            this.keyAccepted = keyAccepted;
        }

        @Override
        protected boolean sendAuthDataRequest(ClientSession session, String service) throws Exception {
            if (sent) {
                return false;
            }
            sent = true;
            Buffer request = session.createBuffer(SshConstants.SSH_MSG_USERAUTH_REQUEST);
            request.putString(session.getUsername());
            request.putString(service);
            request.putString(getName());
            request.putBoolean(false);
            request.putString(algorithm);
            request.putBytes(blob);
            session.writePacket(request);
            return true;
        }

        @Override
        protected boolean processAuthDataRequest(ClientSession session, String service, Buffer buffer) {
            if (buffer.getUByte() == SshConstants.SSH_MSG_USERAUTH_PK_OK) {
                keyAccepted.set(true);
            }
            return false; // no signature follows: the answer to the query is all we wanted
        }
    }
}
