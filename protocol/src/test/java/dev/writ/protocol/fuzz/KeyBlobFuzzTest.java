package dev.writ.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.protocol.ssh.MalformedKeyException;
import dev.writ.protocol.ssh.StrictSshBlob;

/** The raw key or certificate blob of a publickey login or an agent request: walked, or refused as malformed. */
class KeyBlobFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void walksOrRefusesEveryBlob(byte[] blob) {
        try {
            StrictSshBlob.check(blob);
        } catch (MalformedKeyException refused) {
            // the one way to say no
        }
    }
}
