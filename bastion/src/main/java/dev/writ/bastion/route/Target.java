package dev.writ.bastion.route;

import java.util.Map;
import java.util.TreeMap;

/**
 * A machine behind the bastion.
 *
 * @param name   what the engineer typed; policy matches it, and the target's host certificate must name it
 * @param host   where to connect (a name or address)
 * @param port   the SSH port
 * @param labels labels from the bastion's configuration, for policy
 */
public record Target(String name, String host, int port, Map<String, String> labels) {

    public Target {
        labels = Map.copyOf(new TreeMap<>(labels));
    }
}
