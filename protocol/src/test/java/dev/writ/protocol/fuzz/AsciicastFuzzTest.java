package dev.writ.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.protocol.recording.Asciicast;
import java.io.IOException;
import java.io.StringReader;

/** An uploaded recording as the CA indexes it and the CLI plays it: read, or refused with IOException. */
class AsciicastFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void readsOrRefusesEveryRecording(String text) {
        try {
            Asciicast.read(new StringReader(text == null ? "" : text));
        } catch (IOException refused) {
            // the one way to say no
        }
    }
}
