package dev.writ.ca.host;

import dev.writ.policy.HostRule;
import dev.writ.policy.Policy;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code GET /v1/ca/known_hosts}: one {@code @cert-authority} line per trusted host CA key,
 * scoped to the hostname patterns of the policy's host rules, so that a client trusts a writ host
 * certificate only for names the policy could have put in one. Policy globs and known_hosts
 * patterns agree ({@code *} any run of characters, {@code ?} one). Without host rules the CA
 * issues no host certificate, and the lines fall back to {@code *}.
 */
public final class KnownHosts {

    private KnownHosts() {
    }

    public static String render(Policy policy, List<PublicKey> hostCaKeys) {
        Set<String> patterns = new LinkedHashSet<>();
        for (HostRule rule : policy.hostRules()) {
            patterns.addAll(rule.hostnames());
        }
        String scope = patterns.isEmpty() ? "*" : String.join(",", patterns);
        return hostCaKeys.stream()
                .map(key -> "@cert-authority " + scope + " " + PublicKeys.toLine(key) + "\n")
                .collect(Collectors.joining());
    }
}
