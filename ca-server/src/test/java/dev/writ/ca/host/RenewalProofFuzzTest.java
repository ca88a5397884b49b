package dev.writ.ca.host;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.config.CaConfig.KeyType;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A host's renewal proof, from anyone: proven, or refused (RequestRefused), never anything else. */
class RenewalProofFuzzTest {

    static Path dir;
    static Store store;
    static RenewalProofVerifier verifier;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("writ-renewal-fuzz");
        store = Store.openSqlite(dir.resolve("writ.db"), nanos -> { });
        verifier = new RenewalProofVerifier(CaKeyRing.loadOrCreate(dir.resolve("keys"), KeyType.ed25519, null).host(), store);
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
    }

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"eyJ", "eyJ0eXAiOiJ3cml0LXJlbmV3YWwrand0IiwiYWxnIjoiRWREU0EifQ", ".", "\"cert\":",
            "ssh-ed25519-cert-v01@openssh.com AAAA", "writ-renewal+jwt", "writ-host-ca:"})
    void provesOrRefusesEveryProof(String proof) throws StoreException {
        try {
            verifier.verify(proof, Instant.now());
        } catch (RequestRefused refused) {
            // the one way to say no
        }
    }
}
