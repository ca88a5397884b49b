package dev.writ.ca.store;

import java.util.Objects;

/**
 * What a host certificate was issued under, kept beside its {@link IssuedCertificate}.
 *
 * @param rule        the host rule that allowed it; a renewal keeps the rule of the certificate it renews
 * @param via         how the request was authorized
 * @param joinToken   the hash of the join token spent on it ({@code via == join_token}), else null
 * @param renewedFrom the serial of the certificate it renews ({@code via == renewal}), else null
 */
public record HostProvenance(String rule, Via via, String joinToken, Long renewedFrom) {

    public enum Via { workload, join_token, renewal }

    public HostProvenance {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(via, "via");
        if ((via == Via.join_token) != (joinToken != null)) {
            throw new IllegalArgumentException("a join token is named exactly when one was spent");
        }
        if ((via == Via.renewal) != (renewedFrom != null)) {
            throw new IllegalArgumentException("a renewed serial is named exactly for renewals");
        }
    }

    public static HostProvenance workload(String rule) {
        return new HostProvenance(rule, Via.workload, null, null);
    }

    public static HostProvenance joinToken(String rule, String tokenHash) {
        return new HostProvenance(rule, Via.join_token, tokenHash, null);
    }

    public static HostProvenance renewal(String rule, long renewedFrom) {
        return new HostProvenance(rule, Via.renewal, null, renewedFrom);
    }
}
