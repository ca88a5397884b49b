package dev.writ.policy;

import java.util.Objects;

/** The outcome of {@link Policy#evaluateHost}; denied decisions carry no grant and say why. */
public record HostDecision(boolean allowed, String reason, HostGrant grant) {

    public HostDecision {
        Objects.requireNonNull(reason, "reason");
        if (allowed != (grant != null)) {
            throw new IllegalArgumentException("an allowed decision has a grant, a denied one none");
        }
    }

    static HostDecision allow(String reason, HostGrant grant) {
        return new HostDecision(true, reason, Objects.requireNonNull(grant));
    }

    static HostDecision deny(String reason) {
        return new HostDecision(false, reason, null);
    }
}
