package dev.writ.bastion.sftp;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How the bastion names the file an SFTP request means before matching it against policy: an
 * absolute path, normalised lexically ({@code //}, {@code .} and {@code ..} resolved; {@code ..}
 * at the root stays at the root, as the kernel does). A relative path is resolved against the
 * home directory, as the target's sftp-server would: the bastion learns it from the target's
 * answer to the client's first {@code REALPATH "."} (every OpenSSH client asks it first); before
 * that answer a relative path is refused rather than guessed.
 *
 * <p>Symbolic links on the target are not followed: the bastion decides on the name asked for.
 */
final class SftpPaths {

    private SftpPaths() {
    }

    /** The absolute, normalised path; null when {@code path} is relative and {@code home} is not known. */
    static String resolve(String path, String home) {
        String full;
        if (path.startsWith("/")) {
            full = path;
        } else if (home == null) {
            return null;
        } else {
            full = home + "/" + path;
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String part : full.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(part);
            }
        }
        return "/" + String.join("/", parts);
    }
}
