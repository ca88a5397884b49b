package dev.writ.ca.recording;

import dev.writ.ca.RequestRefused;

/**
 * The one question the recording upload asks about its caller: which bastion is this, and what
 * is its public key? Given the bearer credential of the request; refuses with 401 when it proves
 * no configured bastion.
 */
@FunctionalInterface
public interface BastionAuthenticator {

    RecordingUploader authenticate(String bearer) throws RequestRefused;

    /** No bastion is configured: every upload is refused. */
    BastionAuthenticator NONE = bearer -> {
        throw RequestRefused.unauthorized("unknown_bastion", "no bastion is configured to upload recordings");
    };
}
