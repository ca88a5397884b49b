package dev.writ.policy;

import java.util.Objects;

/** A yes or no with the reason, e.g. from {@link Policy#mayApprove}. */
public record Verdict(boolean allowed, String reason) {

    public Verdict {
        Objects.requireNonNull(reason, "reason");
    }

    static Verdict allow(String reason) {
        return new Verdict(true, reason);
    }

    static Verdict deny(String reason) {
        return new Verdict(false, reason);
    }
}
