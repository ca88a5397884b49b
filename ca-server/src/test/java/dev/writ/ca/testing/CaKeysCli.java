package dev.writ.ca.testing;

import dev.writ.ca.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** {@code writ-ca keys ...} run in-process as the CA's main runs it, with what it printed. */
public final class CaKeysCli {

    public record Run(int exit, String out, String err) {
        /** The fingerprint on the first line printed (the key a step acted on). */
        public String fingerprint() {
            Matcher m = Pattern.compile("SHA256:[A-Za-z0-9+/]+").matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("no fingerprint in: " + this);
            }
            return m.group();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private CaKeysCli() {
    }

    public static Run run(Path config, String... args) {
        List<String> all = new ArrayList<>(List.of("keys"));
        all.addAll(List.of(args));
        all.add("--config");
        all.add(config.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }
}
