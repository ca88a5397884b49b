package dev.writ.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code source-address} critical option: comma-separated IPv4/IPv6 addresses and CIDR
 * blocks, checked the way OpenSSH checks them (a block's host bits must be zero, so
 * {@code 10.0.0.1/8} is refused). Never resolves a name.
 */
final class SourceAddress {

    private SourceAddress() {}

    /** The list in canonical form (no spaces); IllegalArgumentException names the bad entry. */
    static String normalize(List<String> entries, String where) {
        List<String> out = new ArrayList<>();
        for (String raw : entries) {
            for (String entry : raw.split(",", -1)) {
                String e = entry.strip();
                check(e, where);
                out.add(e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("source-address in " + where + " needs at least one address");
        }
        return String.join(",", out);
    }

    private static void check(String entry, String where) {
        String what = "source-address entry '" + entry + "' in " + where;
        if (entry.isEmpty()) {
            throw new IllegalArgumentException("source-address in " + where + " has an empty entry");
        }
        int slash = entry.indexOf('/');
        String address = slash < 0 ? entry : entry.substring(0, slash);
        byte[] bytes = parseAddress(address);
        if (bytes == null) {
            throw new IllegalArgumentException(what + " is not an IP address or CIDR block");
        }
        if (slash < 0) {
            return;
        }
        String prefixText = entry.substring(slash + 1);
        int maxPrefix = bytes.length * 8;
        int prefix;
        if (!prefixText.matches("\\d{1,3}") || (prefix = Integer.parseInt(prefixText)) > maxPrefix) {
            throw new IllegalArgumentException(what + " has a prefix length outside 0-" + maxPrefix);
        }
        for (int bit = prefix; bit < maxPrefix; bit++) {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                throw new IllegalArgumentException(what + " has host bits set beyond /" + prefix);
            }
        }
    }

    /** IPv4 dotted quad or IPv6 literal, else null. */
    private static byte[] parseAddress(String text) {
        if (text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            String[] parts = text.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int n = Integer.parseInt(parts[i]);
                if (n > 255 || (parts[i].length() > 1 && parts[i].startsWith("0"))) {
                    return null;
                }
                bytes[i] = (byte) n;
            }
            return bytes;
        }
        // only hex digits, ':' and '.' (an embedded IPv4 part): InetAddress then parses the
        // literal itself and never looks a name up
        if (text.indexOf(':') >= 0 && text.matches("[0-9A-Fa-f:.]+")) {
            try {
                byte[] bytes = InetAddress.getByName(text).getAddress();
                return bytes.length == 16 ? bytes : null; // IPv4-mapped forms: write the IPv4 address
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }
}
