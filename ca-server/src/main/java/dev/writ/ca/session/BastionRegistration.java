package dev.writ.ca.session;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * A bastion the CA trusts, as its config lists it ({@code bastions:}). The bastion proves itself
 * with a JWT signed by the private half of {@code publicKey}; there is no shared secret.
 *
 * @param name      the bastion's name: {@code iss} of its assertions, and the audit log's actor
 * @param publicKey its key, one OpenSSH line: {@code ssh-ed25519} or {@code ecdsa-sha2-nistp256}
 * @param addresses the addresses it connects to targets from: session certificates are pinned to
 *                  them with {@code source-address} (IP addresses or CIDR blocks)
 * @param hostnames patterns of the names it may get host certificates for: its own names and the
 *                  targets whose name it presents when it intercepts ProxyJump ({@code *} and {@code ?})
 */
public record BastionRegistration(
        @JsonProperty("name") String name,
        @JsonProperty("public_key") String publicKey,
        @JsonProperty("addresses") List<String> addresses,
        @JsonProperty("hostnames") List<String> hostnames) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern HOSTNAME_PATTERN = Pattern.compile("[A-Za-z0-9*?]([A-Za-z0-9*?.-]{0,252})");

    public BastionRegistration {
        require(name != null && NAME.matcher(name).matches(),
                "bastion name '" + name + "' must be letters, digits, '.', '_' or '-' (at most 64)");
        require(publicKey != null, "bastion " + name + " needs a public_key");
        key(name, publicKey);
        require(addresses != null && !addresses.isEmpty(), "bastion " + name + " needs addresses (for source-address)");
        addresses = List.copyOf(addresses);
        addresses.forEach(address -> checkAddress(name, address));
        require(hostnames != null && !hostnames.isEmpty(), "bastion " + name + " needs hostnames (patterns)");
        hostnames = List.copyOf(hostnames);
        for (String pattern : hostnames) {
            require(pattern != null && HOSTNAME_PATTERN.matcher(pattern).matches() && !pattern.equals("*"),
                    "bastion " + name + ": hostname pattern '" + pattern + "' is not a DNS name pattern (and '*' alone is too wide)");
        }
    }

    /** The bastion's public key. */
    public PublicKey key() {
        return key(name, publicKey);
    }

    /**
     * The {@code source-address} value for this bastion's session certificates, every entry as a
     * CIDR block: OpenSSH reads bare addresses too, MINA-based servers only blocks.
     */
    public String sourceAddress() {
        return String.join(",", addresses.stream()
                .map(a -> a.strip().contains("/") ? a.strip() : a.strip() + (a.contains(":") ? "/128" : "/32")).toList());
    }

    /** Whether the bastion may put this name in a host certificate. */
    public boolean allowsHostname(String hostname) {
        return hostnames.stream().anyMatch(pattern -> Wildcards.matches(pattern, hostname));
    }

    private static PublicKey key(String name, String line) {
        PublicKey key;
        try {
            key = PublicKeys.parse(line);
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("bastion " + name + ": public_key: " + e.getMessage());
        }
        String type = KeyUtils.getKeyType(key);
        boolean ed25519 = "ssh-ed25519".equals(type);
        boolean p256 = key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256;
        require(ed25519 || p256, "bastion " + name + ": public_key must be ssh-ed25519 or ecdsa-sha2-nistp256, not " + type);
        return key;
    }

    private static void checkAddress(String name, String entry) {
        String address = entry == null ? "" : entry.strip();
        int slash = address.indexOf('/');
        String host = slash < 0 ? address : address.substring(0, slash);
        // only literals: InetAddress never looks a name up for text made of hex digits, '.' and ':'
        require(!host.isEmpty() && host.matches("[0-9A-Fa-f:.]+"), "bastion " + name + ": address '" + entry + "' is not an IP address or CIDR block");
        try {
            int bits = InetAddress.getByName(host).getAddress().length * 8;
            if (slash >= 0) {
                String prefix = address.substring(slash + 1);
                require(prefix.matches("\\d{1,3}") && Integer.parseInt(prefix) <= bits,
                        "bastion " + name + ": address '" + entry + "' has a bad prefix length");
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bastion " + name + ": address '" + entry + "' is not an IP address or CIDR block");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
