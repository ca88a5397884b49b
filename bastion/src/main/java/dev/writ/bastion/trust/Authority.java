package dev.writ.bastion.trust;

import dev.writ.bastion.ca.CaClient;
import dev.writ.bastion.ca.CaException;
import dev.writ.policy.Policy;
import dev.writ.policy.PolicyException;
import dev.writ.protocol.api.CaKeysResponse;
import dev.writ.protocol.api.PolicyFiles;
import dev.writ.protocol.krl.Krl;
import dev.writ.protocol.krl.KrlFormatException;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * Keeps the bastion's {@link Trust} current from the CA: the revocation list every few seconds,
 * the CA keys and the policy less often. A failed refresh keeps the last good state (and the
 * revocation list ages, until new logins are refused).
 */
public final class Authority {

    private final CaClient ca;
    private final Clock clock;
    private final AtomicReference<Trust> current = new AtomicReference<>();

    private Authority(CaClient ca, Clock clock, Trust initial) {
        this.ca = ca;
        this.clock = clock;
        this.current.set(initial);
    }

    /** Fetches everything once; the bastion does not start without it. */
    public static Authority fetch(CaClient ca, Clock clock) throws CaException, PolicyException, KrlFormatException {
        Krl krl = Krl.decode(ca.krl());
        Trust trust = keysAndPolicy(ca, krl, clock);
        return new Authority(ca, clock, trust);
    }

    /** A trust that never changes (the CA is not asked again): for tests and tools. */
    public static Authority fixed(Trust trust) {
        return new Authority(null, Clock.systemUTC(), trust);
    }

    public Trust current() {
        return current.get();
    }

    /** Fetches the revocation list; returns the new trust, or throws and keeps the old one. */
    public Trust refreshKrl() throws CaException, KrlFormatException {
        Krl krl = Krl.decode(ca.krl());
        return current.updateAndGet(trust -> trust.withKrl(krl, clock.instant()));
    }

    /** Fetches the CA keys and the policy (rotations, policy changes at the CA). */
    public Trust refreshKeysAndPolicy() throws CaException, PolicyException {
        Trust old = current.get();
        Trust fresh = keysAndPolicy(ca, old.krl(), clock);
        return current.updateAndGet(trust -> new Trust(fresh.userCas(), fresh.hostCas(), trust.krl(), trust.krlFetchedAt(),
                fresh.policy()));
    }

    private static Trust keysAndPolicy(CaClient ca, Krl krl, Clock clock) throws CaException, PolicyException {
        CaKeysResponse keys = ca.caKeys();
        return new Trust(parse(keys.user()), parse(keys.host()), krl, clock.instant(), policy(ca.policy()));
    }

    private static List<PublicKey> parse(List<String> lines) throws CaException {
        List<PublicKey> keys = new ArrayList<>();
        for (String line : lines) {
            PublicKey key;
            try {
                key = PublicKeys.parse(line);
            } catch (InvalidKeyException e) {
                throw new CaException(200, "the CA published an unreadable key: " + e.getMessage());
            }
            if (key instanceof OpenSshCertificate) {
                throw new CaException(200, "the CA published a certificate where a CA key belongs");
            }
            keys.add(key);
        }
        if (keys.isEmpty()) {
            throw new CaException(200, "the CA published no key");
        }
        return keys;
    }

    /** The policy from the CA's files, loaded exactly as the CA loads them (from a private temporary directory). */
    static Policy policy(PolicyFiles files) throws CaException, PolicyException {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("writ-policy", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            for (Map.Entry<String, String> file : files.files().entrySet()) {
                String name = file.getKey();
                if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*\\.ya?ml")) {
                    throw new CaException(200, "unexpected policy file name from the CA");
                }
                Files.writeString(dir.resolve(name), file.getValue());
            }
            return Policy.load(dir);
        } catch (IOException e) {
            throw new CaException(200, "cannot stage the CA's policy files: " + e.getMessage());
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary copy of public policy files: nothing secret is left behind
        }
    }
}
