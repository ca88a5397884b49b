package dev.writ.bastion.auth;

/**
 * A last say on a login whose certificate passed every check: the bastion's own limits (the
 * number of sessions an engineer may hold). Must be free of side effects, like the check.
 */
@FunctionalInterface
public interface LoginGate {

    /** Null to admit, else why not. */
    Verdict.Refused admit(Grant grant);

    LoginGate OPEN = grant -> null;
}
