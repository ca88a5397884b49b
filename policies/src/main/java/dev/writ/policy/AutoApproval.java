package dev.writ.policy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One set of conditions under which a request for a requestable role is approved at once. Every
 * condition that is present must hold; at least one is present.
 *
 * @param groups      the requester is in at least one of them; empty: no group condition
 * @param weekdays    the request is made on one of these days (in {@code timeZone}); empty: any day
 * @param fromMinute  the window's start, minutes after midnight in {@code timeZone}; -1 without a window
 * @param toMinute    the window's end (exclusive, at most 1440), minutes after midnight; -1 without a window
 * @param timeZone    where weekdays and hours are read; null when neither is given
 * @param maxDuration the request asks for no more than this; null: no duration condition
 */
public record AutoApproval(List<String> groups, Set<DayOfWeek> weekdays, int fromMinute, int toMinute, ZoneId timeZone,
                           Duration maxDuration) {

    public AutoApproval {
        groups = List.copyOf(groups);
        weekdays = weekdays.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(weekdays));
        boolean window = fromMinute >= 0 || toMinute >= 0;
        if (window && !(fromMinute >= 0 && fromMinute < toMinute && toMinute <= 24 * 60)) {
            throw new IllegalArgumentException("hours must start before they end, within one day");
        }
        if ((window || !weekdays.isEmpty()) && timeZone == null) {
            throw new IllegalArgumentException("weekdays and hours need a time_zone");
        }
        if (maxDuration != null && (maxDuration.isNegative() || maxDuration.isZero())) {
            throw new IllegalArgumentException("max_duration must be positive");
        }
        if (groups.isEmpty() && weekdays.isEmpty() && !window && maxDuration == null) {
            throw new IllegalArgumentException("an auto-approval needs at least one condition");
        }
    }

    /** Whether the conditions hold; otherwise why not (the first condition that fails). */
    Optional<String> whyNot(Identity requester, Duration requested, Instant now) {
        if (!groups.isEmpty() && Collections.disjoint(groups, requester.groups())) {
            return Optional.of("groups " + requester.groups() + " contain none of " + groups);
        }
        if (timeZone != null) {
            ZonedDateTime local = now.atZone(timeZone);
            if (!weekdays.isEmpty() && !weekdays.contains(local.getDayOfWeek())) {
                return Optional.of("it is " + dayName(local.getDayOfWeek()) + " in " + timeZone + ", not one of "
                        + weekdayNames());
            }
            int minute = local.getHour() * 60 + local.getMinute();
            if (fromMinute >= 0 && (minute < fromMinute || minute >= toMinute)) {
                return Optional.of("it is " + clock(minute) + " in " + timeZone + ", outside " + hours());
            }
        }
        if (maxDuration != null && requested.compareTo(maxDuration) > 0) {
            return Optional.of("requested " + Durations.format(requested) + " is more than "
                    + Durations.format(maxDuration));
        }
        return Optional.empty();
    }

    /** The conditions, as written in the policy: "groups [oncall], mon-fri 09:00-18:00 Europe/Berlin, at most 1h". */
    String describe() {
        List<String> parts = new ArrayList<>();
        if (!groups.isEmpty()) {
            parts.add("groups " + groups);
        }
        if (!weekdays.isEmpty()) {
            parts.add(weekdayNames().toString());
        }
        if (fromMinute >= 0) {
            parts.add(hours());
        }
        if (timeZone != null) {
            parts.add(timeZone.getId());
        }
        if (maxDuration != null) {
            parts.add("at most " + Durations.format(maxDuration));
        }
        return String.join(", ", parts);
    }

    /** The policy's day names: mon, tue, wed, thu, fri, sat, sun. */
    static Optional<DayOfWeek> parseDay(String text) {
        for (DayOfWeek day : DayOfWeek.values()) {
            if (dayName(day).equals(text)) {
                return Optional.of(day);
            }
        }
        return Optional.empty();
    }

    static String dayName(DayOfWeek day) {
        return day.getDisplayName(TextStyle.SHORT, Locale.ROOT).toLowerCase(Locale.ROOT);
    }

    private List<String> weekdayNames() {
        return weekdays.stream().map(AutoApproval::dayName).collect(Collectors.toList());
    }

    private String hours() {
        return clock(fromMinute) + "-" + clock(toMinute);
    }

    static String clock(int minute) {
        return String.format(Locale.ROOT, "%02d:%02d", minute / 60, minute % 60);
    }
}
