package dev.writ.agent.recordings;

import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.WritException;
import dev.writ.agent.cli.Client;
import dev.writ.protocol.api.RecordingView;
import dev.writ.protocol.recording.Asciicast;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code writ recordings ...}: what a reviewer (an auditor by the CA's policy) does with session
 * recordings: list and search them, play one in the terminal, export it for asciinema, verify it.
 */
@Command(name = "recordings", mixinStandardHelpOptions = true,
        description = "Review session recordings (auditors): list, search, play, export, verify.",
        subcommands = {RecordingsCommand.ListCommand.class, RecordingsCommand.SearchCommand.class,
                RecordingsCommand.PlayCommand.class, RecordingsCommand.ExportCommand.class,
                RecordingsCommand.VerifyCommand.class})
public final class RecordingsCommand implements Runnable {

    private final Client client;

    @Spec
    CommandSpec spec;

    public RecordingsCommand(Client client) {
        this.client = client;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    RecordingsClient recordings() throws WritException {
        return RecordingsClient.create(client.config(), client.certifier(Http.REQUEST_TIMEOUT), Http.REQUEST_TIMEOUT);
    }

    PrintWriter out() {
        return client.env().out();
    }

    /** The filters that list and search share. */
    static final class Filters {
        @Option(names = "--user", paramLabel = "IDENTITY", description = "Only this identity (a trailing * matches a prefix).")
        String user;

        @Option(names = "--target", paramLabel = "HOST", description = "Only this target (a trailing * matches a prefix).")
        String target;

        @Option(names = "--since", paramLabel = "WHEN", description = "Sessions still running at or after WHEN: RFC 3339 or a duration ago (24h, 7d).")
        String since;

        @Option(names = "--until", paramLabel = "WHEN", description = "Sessions that started before WHEN: RFC 3339 or a duration ago.")
        String until;

        @Option(names = "--limit", paramLabel = "N", description = "At most N recordings (default 50, at most 500).")
        Integer limit;

        @Option(names = "--json", description = "Print the CA's JSON answer.")
        boolean json;

        Map<String, String> parameters(RecordingsCommand parent, String text) throws WritException {
            Map<String, String> parameters = new LinkedHashMap<>();
            parameters.put("q", text);
            parameters.put("user", user);
            parameters.put("target", target);
            parameters.put("since", Times.when(since, "--since", parent.client.env().clock()));
            parameters.put("until", Times.when(until, "--until", parent.client.env().clock()));
            parameters.put("limit", limit == null ? null : limit.toString());
            return parameters;
        }

        int run(RecordingsCommand parent, String text) throws WritException {
            RecordingsClient recordings = parent.recordings();
            Map<String, String> parameters = parameters(parent, text);
            if (json) {
                parent.out().print(recordings.searchJson(parameters));
                parent.out().println();
            } else {
                Listing.print(recordings.search(parameters).recordings(), text != null, parent.out());
            }
            return Exit.OK.code();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List recordings, the latest start first.")
    static final class ListCommand implements Callable<Integer> {
        @ParentCommand
        RecordingsCommand parent;

        @Mixin
        Filters filters;

        @Override
        public Integer call() throws WritException {
            return filters.run(parent, null);
        }
    }

    @Command(name = "search", mixinStandardHelpOptions = true,
            description = "Find recordings whose output contains TEXT (3 characters or more, any case), with the times of the hits.")
    static final class SearchCommand implements Callable<Integer> {
        @ParentCommand
        RecordingsCommand parent;

        @Parameters(paramLabel = "TEXT", description = "What was on screen, e.g. 'rm -rf'.")
        String text;

        @Mixin
        Filters filters;

        @Override
        public Integer call() throws WritException {
            return filters.run(parent, text);
        }
    }

    @Command(name = "play", mixinStandardHelpOptions = true,
            description = "Replay a recording in this terminal at its own pace (Ctrl-C stops).")
    static final class PlayCommand implements Callable<Integer> {
        @ParentCommand
        RecordingsCommand parent;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--speed", paramLabel = "FACTOR", defaultValue = "1", description = "Times real speed (default 1; 2 is twice as fast).")
        double speed;

        @Option(names = "--from", paramLabel = "OFFSET", description = "Start at OFFSET: seconds (90), m:ss (1:30) or a duration (1m30s).")
        String from;

        @Option(names = "--idle-limit", paramLabel = "DURATION", defaultValue = "2s", converter = dev.writ.agent.Durations.Converter.class,
                description = "Shorten pauses to at most this (default 2s).")
        Duration idleLimit;

        @Override
        public Integer call() throws WritException, InterruptedException {
            if (!(speed > 0)) {
                throw new WritException(Exit.USAGE, "--speed must be a positive number");
            }
            double start = from == null ? 0 : Times.offset(from);
            RecordingsClient.Download download = parent.recordings().download(id);
            PrintWriter err = parent.client.env().err();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                    new ByteArrayInputStream(download.body()), StandardCharsets.UTF_8))) {
                Asciicast.Header header = Asciicast.parseHeader(String.valueOf(lines.readLine()));
                err.println("writ: playing " + id + " (" + header.writ().get("identity") + " as " + header.writ().get("login")
                        + " on " + header.writ().get("target") + ", " + header.width() + "x" + header.height() + ")"
                        + (start > 0 ? " from " + Times.formatOffset(start) : "") + (speed != 1 ? " at " + speed + "x" : ""));
                err.flush();
                Player.End end = new Player(parent.out(), parent.client.env().sleeper(), speed, start, idleLimit).play(lines);
                err.println("writ: " + id + " ends at " + Times.formatOffset(end.time())
                        + (end.endedBecause() == null ? "" : ": the bastion ended the session (" + end.endedBecause() + ")"));
                err.flush();
            } catch (IOException e) {
                throw new WritException(Exit.CA_REFUSED, "recording " + id + " is not an asciicast v2 file: " + e.getMessage(), e);
            }
            return Exit.OK.code();
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a recording to a .cast file (asciicast v2, as stored), for asciinema play or asciinema-player.")
    static final class ExportCommand implements Callable<Integer> {
        @ParentCommand
        RecordingsCommand parent;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write it (default ID.cast here).")
        Path output;

        @Option(names = "--force", description = "Replace FILE if it exists.")
        boolean force;

        @Override
        public Integer call() throws WritException {
            Path file = output == null ? Path.of(id + ".cast") : output;
            if (Files.exists(file) && !force) {
                throw new WritException(Exit.LOCAL_FILES, file + " exists; choose another --output or add --force");
            }
            RecordingsClient.Download download = parent.recordings().download(id);
            String actual = Checks.sha256Hex(download.body());
            if (!actual.equals(download.sha256())) {
                throw new WritException(Exit.VERIFICATION_FAILED, "the download of " + id + " has SHA-256 " + actual
                        + ", not the " + download.sha256() + " its bastion signed; nothing written (run writ recordings verify " + id + ")");
            }
            write(file, download.body());
            parent.out().println("Wrote " + file + " (" + download.body().length + " bytes, SHA-256 " + actual + ")");
            return Exit.OK.code();
        }

        private static void write(Path file, byte[] body) throws WritException {
            Path absolute = file.toAbsolutePath();
            try {
                Path temporary = Files.createTempFile(absolute.getParent(), ".writ-export", ".cast",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(temporary, body);
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new WritException(Exit.LOCAL_FILES, "cannot write " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Have the CA re-check a stored recording, then check it here too: the file against the"
                    + " digest its bastion signed, and that signature against the bastion's key.")
    static final class VerifyCommand implements Callable<Integer> {
        @ParentCommand
        RecordingsCommand parent;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--bastion-key", paramLabel = "FILE",
                description = "The bastion's public key (OpenSSH line) to trust, rather than the one the CA names.")
        Path bastionKey;

        @Override
        public Integer call() throws WritException {
            String pinned = null;
            if (bastionKey != null) {
                try {
                    pinned = Files.readString(bastionKey).strip();
                } catch (IOException e) {
                    throw new WritException(Exit.LOCAL_FILES, "cannot read " + bastionKey + ": " + e.getMessage(), e);
                }
            }
            RecordingsClient recordings = parent.recordings();
            Checks.Report report = Checks.verify(recordings.verify(id), recordings.download(id), pinned);
            report.print(parent.out());
            if (!report.ok()) {
                throw new WritException(Exit.VERIFICATION_FAILED, "recording " + id + " failed verification");
            }
            return Exit.OK.code();
        }
    }

    /** Rows for list and search, in aligned columns; a search adds each hit's time and line below its row. */
    static final class Listing {
        private Listing() {
        }

        static void print(java.util.List<RecordingView> recordings, boolean withHits, PrintWriter out) {
            if (recordings.isEmpty()) {
                out.println("no recordings");
                return;
            }
            java.util.List<String[]> rows = recordings.stream().map(r -> new String[] {r.id(),
                    dev.writ.agent.Instants.seconds(r.startedAt()), Times.formatOffset(r.durationSeconds()), r.identity(),
                    r.login() + "@" + r.target()}).toList();
            String[] header = {"ID", "STARTED", "DURATION", "IDENTITY", "LOGIN@TARGET"};
            int[] widths = new int[5];
            java.util.stream.Stream.concat(java.util.stream.Stream.<String[]>of(header), rows.stream()).forEach(row -> {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            });
            StringBuilder head = new StringBuilder();
            for (int i = 0; i < header.length; i++) {
                head.append(i == header.length - 1 ? header[i] : String.format("%-" + widths[i] + "s  ", header[i]));
            }
            out.println(head);
            for (int n = 0; n < recordings.size(); n++) {
                RecordingView r = recordings.get(n);
                String[] row = rows.get(n);
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.length; i++) {
                    line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
                }
                out.println(line + (r.truncated() ? "  (truncated)" : ""));
                if (withHits && r.hits() != null) {
                    for (RecordingView.RecordingHit hit : r.hits()) {
                        out.println("    " + Times.formatOffset(hit.offset()) + "  " + hit.snippet());
                    }
                    if (r.hitCount() != null && r.hitCount() > r.hits().size()) {
                        out.println("    ... and " + (r.hitCount() - r.hits().size()) + " more");
                    }
                }
            }
        }
    }
}
