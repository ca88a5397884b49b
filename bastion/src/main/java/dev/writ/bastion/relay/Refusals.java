package dev.writ.bastion.relay;

import org.apache.sshd.common.session.Session;

/**
 * Where the refusals decided at the connection level go (a channel type the bastion has no
 * factory for, a global request such as {@code tcpip-forward}): to the live session of
 * {@code connection}, which reports each {@link Refusal} once.
 */
@FunctionalInterface
public interface Refusals {

    void refused(Session connection, Refusal refusal);
}
