package dev.writ.agent.cli;

import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.host.HostCommandException;
import dev.writ.agent.host.LoginIdentity;

/** The identity of {@code writ login} and the CA of {@code writ configure}, for {@code writ host token create}. */
final class HostLogin implements LoginIdentity {

    private final Client client;

    HostLogin(Client client) {
        this.client = client;
    }

    @Override
    public String caUrl() throws HostCommandException {
        try {
            return client.config().ca();
        } catch (WritException e) {
            throw new HostCommandException(e.exit(), e.getMessage() + " (or pass --ca)", e);
        }
    }

    @Override
    public String idToken() throws HostCommandException {
        try {
            return client.certifier(Http.REQUEST_TIMEOUT).asUser(idToken -> idToken);
        } catch (WritException e) {
            throw new HostCommandException(e.exit(), e.getMessage() + " (or pass --id-token-file)", e);
        }
    }
}
