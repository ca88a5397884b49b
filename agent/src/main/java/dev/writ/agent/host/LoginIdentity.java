package dev.writ.agent.host;

/**
 * Who runs {@code writ host token create} when no ID-token file is given: the identity of
 * {@code writ login}, and the CA that {@code writ configure} chose.
 */
public interface LoginIdentity {

    /** The configured CA's URL. */
    String caUrl() throws HostCommandException;

    /** A valid ID token of the logged-in user (refreshed when it is about to expire). */
    String idToken() throws HostCommandException;

    /** No login available: {@code --ca} and {@code --id-token-file} are then required. */
    LoginIdentity NONE = new LoginIdentity() {
        @Override
        public String caUrl() throws HostCommandException {
            throw new HostCommandException(dev.writ.agent.Exit.USAGE, "--ca is required");
        }

        @Override
        public String idToken() throws HostCommandException {
            throw new HostCommandException(dev.writ.agent.Exit.USAGE, "--id-token-file is required");
        }
    };
}
