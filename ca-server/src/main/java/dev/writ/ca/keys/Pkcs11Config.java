package dev.writ.ca.keys;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.Objects;

/**
 * CA keys in a PKCS#11 token (an HSM; SoftHSM2 in tests), through the JDK's SunPKCS11 provider.
 * The private keys are generated in the token (ECDSA P-256, sensitive, not extractable) and never
 * leave it.
 *
 * @param library     the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
 * @param slot        the token's slot id (as {@code softhsm2-util --show-slots} prints it), or
 * @param slotIndex   its index in the module's list of slots with a token
 * @param pinEnv      the environment variable holding the user PIN, or
 * @param pinFile     a file holding it, mode 0600 (refused when looser)
 * @param labelPrefix the keys' labels: {@code PREFIX-user_ca}, {@code PREFIX-session_ca}, {@code PREFIX-host_ca},
 *                    and {@code PREFIX-user_ca-2} ... for keys added by rotation; default {@code writ}
 */
public record Pkcs11Config(@JsonProperty("library") Path library, @JsonProperty("slot") Long slot,
                           @JsonProperty("slot_index") Integer slotIndex, @JsonProperty("pin_env") String pinEnv,
                           @JsonProperty("pin_file") Path pinFile, @JsonProperty("label_prefix") String labelPrefix) {

    public Pkcs11Config {
        require(library != null, "pkcs11.library is required (the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)");
        require((slot == null) != (slotIndex == null), "pkcs11: name the token by exactly one of slot and slot_index");
        require(slotIndex == null || slotIndex >= 0, "pkcs11.slot_index must not be negative");
        require((pinEnv == null) != (pinFile == null), "pkcs11: give the PIN by exactly one of pin_env and pin_file");
        labelPrefix = Objects.requireNonNullElse(labelPrefix, "writ");
        require(labelPrefix.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,40}"), "pkcs11.label_prefix must be letters, digits, . _ -");
    }

    /** Relative paths against the config file's directory. */
    public Pkcs11Config resolvedAgainst(Path base) {
        return new Pkcs11Config(library, slot, slotIndex, pinEnv, pinFile == null ? null : base.resolve(pinFile).normalize(),
                labelPrefix);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public String toString() {
        return "Pkcs11Config[" + library + ", " + (slot != null ? "slot " + slot : "slot index " + slotIndex) + "]";
    }
}
