package dev.writ.ca.access;

import dev.writ.ca.store.StoreException;
import dev.writ.policy.Identity;
import java.time.Instant;
import java.util.List;

/** The access grants in force for a person: what certificate issuance adds to their standing roles. */
@FunctionalInterface
public interface ActiveGrants {

    /** A grant of {@code role} until {@code end}, identified by its access request id. */
    record Grant(String id, String role, Instant end) {
    }

    List<Grant> of(Identity identity, Instant now) throws StoreException;

    /** Nobody holds a grant: for a CA without access requests, and tests. */
    ActiveGrants NONE = (identity, now) -> List.of();
}
