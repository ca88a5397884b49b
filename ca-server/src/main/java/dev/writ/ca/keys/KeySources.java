package dev.writ.ca.keys;

import dev.writ.ca.config.CaConfig.KeyType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;

/**
 * Where CA keys live and are made: files in the keys directory (the default), or labels in a
 * PKCS#11 token when one is configured. A key's location, as the key table stores it, is
 * {@code file:NAME} (a file in the keys directory) or {@code pkcs11:LABEL}.
 *
 * @param dir        the keys directory (also when keys are in a token: {@code NAME-*.pub} files are read there)
 * @param type       algorithm of generated file keys
 * @param passphrase encrypts file keys; null for none
 * @param token      the PKCS#11 token, or null for file keys
 */
public record KeySources(Path dir, KeyType type, String passphrase, Pkcs11Token token) {

    @Override
    public String toString() {
        return "KeySources[" + dir + (token == null ? "" : ", pkcs11") + "]";
    }

    /**
     * The key named {@code name} ({@code NAME} in the keys directory, or {@code PREFIX-NAME} in the
     * token), generated there when absent: for keys of the CA's own besides the three CAs (an audit
     * key, say). It signs through {@link CaSigner}; its private key is never handed out.
     */
    public CaSigner loadOrCreate(String name) throws IOException, GeneralSecurityException {
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("a key name is lower-case letters, digits and _: " + name);
        }
        KeyFiles.ensurePrivateDirectory(dir);
        Optional<CaSigner> existing = first(name);
        return existing.isPresent() ? existing.get() : create(name, name);
    }

    /** The first key of the CA {@code name}, if it exists: its file, or its label in the token. */
    Optional<CaSigner> first(String name) throws IOException, GeneralSecurityException {
        if (token != null) {
            return token.find(token.label(name));
        }
        return Files.exists(dir.resolve(name)) ? Optional.of(CaKeyRing.readFile(dir, name, passphrase)) : Optional.empty();
    }

    /** A new key for the CA {@code name}, under {@code handle} (a file name, or a label suffix in the token). */
    CaSigner create(String name, String handle) throws IOException, GeneralSecurityException {
        if (token != null) {
            return token.generate(token.label(handle));
        }
        return CaKeyRing.createFile(dir, handle, type, passphrase);
    }

    /** The key at {@code location} ({@code file:NAME} or {@code pkcs11:LABEL}). */
    CaSigner load(String location) throws IOException, GeneralSecurityException {
        if (location.startsWith("file:")) {
            String file = location.substring("file:".length());
            if (!file.matches("[A-Za-z0-9_.-]+") || file.startsWith(".")) {
                throw new IOException("bad key file name " + file);
            }
            return CaKeyRing.readFile(dir, file, passphrase);
        }
        if (location.startsWith("pkcs11:")) {
            if (token == null) {
                throw new IOException("key " + location + " is in a PKCS#11 token, but the config names none (pkcs11:)");
            }
            String label = location.substring("pkcs11:".length());
            return token.find(label).orElseThrow(() -> new IOException("the token holds no key labelled " + label));
        }
        throw new IOException("unknown key location " + location);
    }
}
