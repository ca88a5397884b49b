package dev.writ.bastion.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The {@code source-address} critical option as OpenSSH reads it: a comma-separated list of
 * addresses and CIDR blocks, one of which must contain the client. Anything unreadable refuses.
 */
final class SourceAddress {

    private SourceAddress() {
    }

    static boolean allows(String list, InetAddress client) {
        if (client == null) {
            return false;
        }
        byte[] address = normalize(client);
        for (String raw : list.split(",")) {
            String entry = raw.strip();
            int slash = entry.indexOf('/');
            String host = slash < 0 ? entry : entry.substring(0, slash);
            if (host.isEmpty() || !host.matches("[0-9A-Fa-f:.]+")) {
                return false; // names are not allowed in source-address; a list we cannot read allows nothing
            }
            byte[] network;
            try {
                network = normalize(InetAddress.getByName(host)); // a literal: never a DNS lookup
            } catch (UnknownHostException e) {
                return false;
            }
            int bits = network.length * 8;
            if (slash >= 0) {
                String prefix = entry.substring(slash + 1);
                if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > bits) {
                    return false;
                }
                bits = Integer.parseInt(prefix);
            }
            if (network.length == address.length && matches(network, address, bits)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(byte[] network, byte[] address, int bits) {
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((network[i / 8] & mask) != (address[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** IPv4-mapped IPv6 addresses (a dual-stack listener) compare as IPv4. */
    private static byte[] normalize(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address && bytes.length == 16) {
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= bytes[i] == 0;
            }
            if (mapped && bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff) {
                return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
            }
        }
        return bytes;
    }
}
