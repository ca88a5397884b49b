package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TableTest {

    static String printed(Table table) {
        StringWriter out = new StringWriter();
        table.print(new PrintWriter(out, true));
        return out.toString();
    }

    @Test
    void columnsAreAsWideAsTheirWidestCellAndEmptyCellsShowADash() {
        Table table = new Table("ID", "ROLE", "REASON").row("a1", "prod-admin", "INC-1").row("b22222", null, "");

        assertEquals("""
                ID      ROLE        REASON
                a1      prod-admin  INC-1
                b22222  -           -
                """, printed(table));
    }

    @Test
    void controlCharactersFromTheCaCannotReachTheTerminal() {
        Table table = new Table("ACTOR", "DETAILS").row("\u001b[2Jmallory", "line\nbreak\tand\rreturn");

        assertEquals("ACTOR        DETAILS\n [2Jmallory  line break and return\n", printed(table));
    }

    @Test
    void longTextIsCutWithAnEllipsis() {
        assertEquals("INC-4711: the...", Table.truncate("INC-4711: the database is full", 16));
        assertEquals("short", Table.truncate("short", 16));
    }
}
