package dev.writ.policy.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.policy.Policy;
import dev.writ.policy.PolicyException;

/** A policy file: loaded, or refused with a PolicyException (file:line: reason), never anything else. */
class PolicyYamlFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void loadsOrRefusesEveryFile(String yaml) {
        try {
            Policy.parse("fuzz.yaml", yaml == null ? "" : yaml);
        } catch (PolicyException refused) {
            // the one way to say no
        }
    }
}
