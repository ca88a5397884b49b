package dev.writ.ca.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tokens in SoftHSM2 (Debian's softhsm2 package) for tests. SoftHSM2 reads its config from
 * {@code SOFTHSM2_CONF} once per process; the build points it into {@code target/softhsm2}, and
 * each test makes a fresh token of its own there with {@code softhsm2-util --init-token --free}.
 */
public final class SoftHsm {

    public static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token: its slot id and a 0600 file with its user PIN. */
    public record Token(String label, long slot, Path pinFile) {
        /** The CA config's {@code pkcs11:} section for this token. */
        public String caConfig() {
            return """
                    pkcs11:
                      library: %s
                      slot: %d
                      pin_file: %s
                    """.formatted(LIBRARY, slot, pinFile);
        }
    }

    private SoftHsm() {
    }

    public static synchronized Token createToken(Path dir, String name) throws Exception {
        String confPath = System.getenv("SOFTHSM2_CONF");
        if (confPath == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: run the tests through Maven (the build sets it)");
        }
        Path conf = Path.of(confPath);
        Path tokens = conf.getParent().resolve("tokens");
        Files.createDirectories(tokens);
        if (!Files.exists(conf)) {
            Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        }
        String label = name + "-" + HexFormat.of().formatHex(RANDOM.generateSeed(4));
        String pin = HexFormat.of().formatHex(RANDOM.generateSeed(8));
        Processes.Result init = Processes.run(List.of("softhsm2-util", "--init-token", "--free", "--label", label,
                "--pin", pin, "--so-pin", HexFormat.of().formatHex(RANDOM.generateSeed(8))), 60);
        Matcher slot = Pattern.compile("reassigned to slot (\\d+)").matcher(init.output());
        if (init.exitCode() != 0 || !slot.find()) {
            throw new IllegalStateException("softhsm2-util --init-token failed: " + init.output());
        }
        Files.createDirectories(dir);
        Path pinFile = Files.createFile(dir.resolve(label + ".pin"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pinFile, pin + "\n");
        return new Token(label, Long.parseLong(slot.group(1)), pinFile);
    }
}
