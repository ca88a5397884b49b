package dev.writ.agent.sshagent;

import java.util.List;
import java.util.Optional;

/** What writ's agent serves: the keys to list and sign with, and its state for {@code writ status}. */
public interface IdentitySource {

    /** The keys to list; may fetch a certificate first (this is where "on demand" happens). */
    List<AgentKey> identities();

    /** The key a SIGN_REQUEST names, among those recently listed; never fetches. */
    Optional<AgentKey> find(byte[] blob);

    /** The current certificate and problem, never fetching. */
    AgentStatus status();

    /**
     * What the agent holds and what stops it from holding more.
     *
     * @param certificate the served certificate's OpenSSH line, or null
     * @param problem     the last failure to get one (e.g. "login required: ..."), or null
     */
    record AgentStatus(String certificate, String problem) {
    }
}
