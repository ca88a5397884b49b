package dev.writ.bastion.auth;

import java.net.InetAddress;

/**
 * A last say on a login whose certificate passed every check: the bastion's own limits (the
 * number of sessions an engineer may hold, how many logins an engineer or an address may make).
 * Must be free of side effects, like the check: MINA asks more than once per login.
 */
@FunctionalInterface
public interface LoginGate {

    /** Null to admit, else why not; {@code client} is the connection's address (null when unknown). */
    Verdict.Refused admit(Grant grant, InetAddress client);

    LoginGate OPEN = (grant, client) -> null;
}
