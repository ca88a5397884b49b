package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.Exit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExitCodesTest {

    @Test
    void everyKindOfFaultHasItsOwnCode() {
        assertEquals(Exit.values().length, Arrays.stream(Exit.values()).mapToInt(Exit::code).distinct().count());
    }

    @Test
    void theReadmeTableListsEveryCodeAsTheCodeDefinesIt() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (Exit exit : Exit.values()) {
            String row = "| " + exit.code() + " | `" + exit.name() + "` | " + exit.meaning() + " |";
            assertTrue(readme.contains(row), "agent/README.md lacks the row: " + row);
        }
    }
}
