package dev.writ.ca.host;

import dev.writ.ca.RequestRefused;
import dev.writ.policy.Durations;
import dev.writ.policy.Policy;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Checks of what a host (or an admin) sent, shared by the host endpoints; each refusal names the problem. */
final class HostInput {

    /** More names than any machine needs; keeps certificates and messages small. */
    static final int MAX_HOSTNAMES = 64;
    private static final int MAX_HOSTNAME_LENGTH = 253;

    private HostInput() {
    }

    static PublicKey publicKey(String line) throws RequestRefused {
        try {
            return PublicKeys.parseCertifiable(line);
        } catch (InvalidKeyException e) {
            throw RequestRefused.badRequest("bad_public_key", e.getMessage());
        }
    }

    /** Plain DNS names, at least one, duplicates removed in order. Whether policy allows them is decided later. */
    static List<String> hostnames(List<String> requested) throws RequestRefused {
        if (requested == null || requested.isEmpty()) {
            throw RequestRefused.badRequest("bad_hostname", "hostnames must name at least one hostname");
        }
        if (requested.size() > MAX_HOSTNAMES) {
            throw RequestRefused.badRequest("bad_hostname", "at most " + MAX_HOSTNAMES + " hostnames may be requested");
        }
        List<String> hostnames = new ArrayList<>();
        for (String hostname : requested) {
            if (hostname != null && hostname.length() > MAX_HOSTNAME_LENGTH) {
                throw RequestRefused.badRequest("bad_hostname", "hostname '" + printable(hostname)
                        + "' is longer than " + MAX_HOSTNAME_LENGTH + " characters");
            }
            Optional<String> problem = Policy.hostnameProblem(hostname);
            if (problem.isPresent()) {
                throw RequestRefused.badRequest("bad_hostname", problem.get().replaceAll("[^\\x20-\\x7e]", "?"));
            }
            if (!hostnames.contains(hostname)) {
                hostnames.add(hostname);
            }
        }
        return List.copyOf(hostnames);
    }

    /**
     * The requested lifetime, or {@code fallback} when none was asked.
     *
     * @param limitOf what the maximum belongs to, for the message: "host rule 'web-fleet'"
     */
    static Duration ttl(String requested, Duration fallback, Duration max, String limitOf) throws RequestRefused {
        if (requested == null) {
            return fallback;
        }
        Duration ttl = Durations.parse(requested).orElseThrow(() -> RequestRefused.badRequest("bad_ttl",
                "ttl '" + printable(requested) + "' is not a positive duration such as 30m, 8h or 7d"));
        if (ttl.compareTo(max) > 0) {
            throw RequestRefused.badRequest("ttl_above_max", "requested ttl " + Durations.format(ttl)
                    + " exceeds the maximum of " + Durations.format(max) + " for " + limitOf);
        }
        return ttl;
    }

    /** Echoes client text in a message only as short printable ASCII. */
    static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
