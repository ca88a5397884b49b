package dev.writ.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.protocol.krl.Krl;
import dev.writ.protocol.krl.KrlFormatException;

/** A KRL as the bastion and the agent fetch it: decoded, or refused with KrlFormatException. */
class KrlFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void decodesOrRefusesEveryKrl(byte[] bytes) {
        try {
            Krl.decode(bytes);
        } catch (KrlFormatException refused) {
            // the one way to say no
        }
    }
}
