package dev.writ.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;

/** An OpenSSH key or certificate line from outside: parsed, or refused with InvalidKeyException, never anything else. */
class KeyLineFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsesOrRefusesEveryLine(String line) {
        try {
            PublicKeys.parse(line);
        } catch (InvalidKeyException refused) {
            // the one way to say no
        }
    }
}
