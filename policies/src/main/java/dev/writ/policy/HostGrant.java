package dev.writ.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a workload may get as a host certificate.
 *
 * @param rule      the host rule that matched
 * @param hostnames the requested hostnames (each allowed by the rule), duplicates removed
 */
public record HostGrant(String rule, List<String> hostnames, Duration defaultTtl, Duration maxTtl) {

    public HostGrant {
        Objects.requireNonNull(rule, "rule");
        hostnames = List.copyOf(hostnames);
        if (hostnames.isEmpty()) {
            throw new IllegalArgumentException("a host grant names at least one hostname");
        }
        Role.checkTtls(defaultTtl, maxTtl);
    }
}
