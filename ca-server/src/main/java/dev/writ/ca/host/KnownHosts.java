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
 * patterns agree ({@code *} any run of characters, {@code ?} one). The names bastions present
 * (their own, and the targets they stand in for on ProxyJump) are added. Every pattern also comes
 * as {@code [pattern]:*}, the form OpenSSH looks up for a port other than 22. Without any name
 * the CA issues no host certificate, and the lines fall back to {@code *}.
 */
public final class KnownHosts {

    private KnownHosts() {
    }

    public static String render(Policy policy, List<String> bastionHostnames, List<PublicKey> hostCaKeys) {
        Set<String> names = new LinkedHashSet<>();
        for (HostRule rule : policy.hostRules()) {
            names.addAll(rule.hostnames());
        }
        names.addAll(bastionHostnames);
        List<String> patterns = new java.util.ArrayList<>(names);
        names.forEach(name -> patterns.add("[" + name + "]:*"));
        String scope = patterns.isEmpty() ? "*" : String.join(",", patterns);
        return hostCaKeys.stream()
                .map(key -> "@cert-authority " + scope + " " + PublicKeys.toLine(key) + "\n")
                .collect(Collectors.joining());
    }
}
