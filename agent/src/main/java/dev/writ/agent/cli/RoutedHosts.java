package dev.writ.agent.cli;

import dev.writ.agent.Exit;
import dev.writ.agent.WritException;
import java.util.Arrays;
import java.util.List;

/**
 * The ssh {@code Host} patterns {@code writ config} sends through writ: those given with
 * {@code --hosts}, else the targets the CA names in its login config. With a bastion and no
 * target named anywhere there is nothing to route, and every ssh through the bastion would fail
 * for hosts it does not serve, so the command stops and asks for {@code --hosts}.
 */
final class RoutedHosts {

    private static final String PATTERN = "!?[A-Za-z0-9._*?-]{1,253}";

    /** What the CA names, asked only when {@code --hosts} is not given. */
    interface CaTargets {
        List<String> get() throws WritException;
    }

    private RoutedHosts() {
    }

    /** The patterns for the {@code Host} line, separated by spaces. */
    static String choose(String given, boolean bastion, CaTargets ca, String caUrl) throws WritException {
        if (given != null) {
            List<String> words = Arrays.stream(given.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
            for (String word : words) {
                if (!word.matches(PATTERN)) {
                    throw new WritException(Exit.USAGE, "--hosts: " + word + " is not a host name or pattern (letters, digits, . - _ * ?, ! to exclude)");
                }
            }
            if (words.isEmpty()) {
                throw new WritException(Exit.USAGE, "--hosts needs at least one host name or pattern");
            }
            return String.join(" ", words);
        }
        List<String> targets = ca.get().stream().filter(t -> t.matches(PATTERN) && !t.startsWith("!")).toList();
        if (!targets.isEmpty()) {
            return String.join(" ", targets);
        }
        if (bastion) {
            throw new WritException(Exit.USAGE, "the CA at " + caUrl + " names no targets to route through its bastion;"
                    + " name them with --hosts PATTERNS");
        }
        return "*";
    }
}
