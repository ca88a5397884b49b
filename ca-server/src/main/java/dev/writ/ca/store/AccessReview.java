package dev.writ.ca.store;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One approver's decision on an access request.
 *
 * @param reviewerEmail the reviewer's verified email, or null
 * @param comment       optional
 */
public record AccessReview(String requestId, String reviewer, String reviewerIssuer, String reviewerSubject,
                           String reviewerEmail, boolean approve, String comment, Instant at) {

    public AccessReview {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(reviewer, "reviewer");
        Objects.requireNonNull(reviewerIssuer, "reviewerIssuer");
        Objects.requireNonNull(reviewerSubject, "reviewerSubject");
        Objects.requireNonNull(at, "at");
    }

    public String decision() {
        return approve ? "approve" : "deny";
    }

    /** The same person as {@code other}: same subject at the same issuer, or the same email. */
    boolean sameReviewer(AccessReview other) {
        if (reviewerIssuer.equals(other.reviewerIssuer) && reviewerSubject.equals(other.reviewerSubject)) {
            return true;
        }
        return reviewerEmail != null && other.reviewerEmail != null
                && reviewerEmail.toLowerCase(Locale.ROOT).equals(other.reviewerEmail.toLowerCase(Locale.ROOT));
    }
}
