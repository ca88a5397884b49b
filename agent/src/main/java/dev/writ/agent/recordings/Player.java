package dev.writ.agent.recordings;

import dev.writ.agent.Sleeper;
import dev.writ.protocol.recording.Asciicast;
import dev.writ.protocol.recording.EndedMarker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * Replays a recording's output on the terminal at its own pace: {@code speed} times real time,
 * starting at {@code from} (everything before it is written at once), with pauses longer than
 * {@code idleLimit} shortened to it, as asciinema's {@code --idle-time-limit} does.
 */
final class Player {

    /** Shorter waits are collected, so that a burst of small events costs one sleep. */
    private static final double MIN_SLEEP_SECONDS = 0.01;

    private final PrintWriter out;
    private final Sleeper sleeper;
    private final double speed;
    private final double from;
    private final double idleLimit;

    Player(PrintWriter out, Sleeper sleeper, double speed, double from, Duration idleLimit) {
        if (!(speed > 0) || from < 0 || idleLimit.isNegative() || idleLimit.isZero()) {
            throw new IllegalArgumentException("speed and the idle limit must be positive, from must not be negative");
        }
        this.out = out;
        this.sleeper = sleeper;
        this.speed = speed;
        this.from = from;
        this.idleLimit = idleLimit.toNanos() / 1e9;
    }

    /**
     * Where a recording ended: the time of its last event (the bastion's closing marker, at the
     * channel's close), and why the bastion ended the session ({@link EndedMarker}), or null.
     */
    record End(double time, String endedBecause) {
    }

    /** Plays the event lines that follow the header in {@code lines}; returns where the recording ends. */
    End play(BufferedReader lines) throws IOException, InterruptedException {
        double clock = from;
        double debt = 0;
        double end = 0;
        String endedBecause = null;
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            Asciicast.Event event;
            try {
                event = Asciicast.parseEvent(line);
            } catch (IOException cutShort) {
                break; // a truncated recording ends in a cut-off line
            }
            end = Math.max(end, event.time());
            if (event.code().equals("m") && EndedMarker.describe(event.data()) != null) {
                endedBecause = EndedMarker.describe(event.data());
            }
            if (!event.code().equals("o")) {
                continue;
            }
            if (event.time() > clock) {
                debt += Math.min(event.time() - clock, idleLimit) / speed;
                clock = event.time();
                if (debt >= MIN_SLEEP_SECONDS) {
                    out.flush();
                    sleeper.sleep(Duration.ofNanos(Math.round(debt * 1e9)));
                    debt = 0;
                }
            }
            out.write(event.data());
        }
        out.flush();
        return new End(end, endedBecause);
    }
}
