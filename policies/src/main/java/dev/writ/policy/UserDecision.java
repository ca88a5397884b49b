package dev.writ.policy;

import java.util.Objects;

/**
 * The outcome of {@link Policy#evaluateUser}. Allowed: {@code grant} says what; denied:
 * {@code grant} is null and {@code reason} says why ("no role matches", "denied by rule 'x'").
 */
public record UserDecision(boolean allowed, String reason, UserGrant grant) {

    public UserDecision {
        Objects.requireNonNull(reason, "reason");
        if (allowed != (grant != null)) {
            throw new IllegalArgumentException("an allowed decision has a grant, a denied one none");
        }
    }

    static UserDecision allow(String reason, UserGrant grant) {
        return new UserDecision(true, reason, Objects.requireNonNull(grant));
    }

    static UserDecision deny(String reason) {
        return new UserDecision(false, reason, null);
    }
}
