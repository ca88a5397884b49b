package dev.writ.policy;

import dev.writ.policy.Fields.Item;
import dev.writ.policy.Yaml.Entry;
import dev.writ.policy.Yaml.ListNode;
import dev.writ.policy.Yaml.MapNode;
import dev.writ.policy.Yaml.Node;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a role's {@code requestable} section and lists of {@code {match: ...}} entries
 * (requesters, approvers, auditors) for {@link PolicyLoader}, with the same file:line errors.
 */
final class RequestableLoader {

    private static final List<String> REQUESTABLE_KEYS = List.of("requesters", "approvers", "approvals", "max_duration",
            "reason_required", "pending_ttl", "auto_approve", "break_glass");
    private static final List<String> AUTO_APPROVE_KEYS = List.of("groups", "weekdays", "hours", "time_zone",
            "max_duration");
    private static final List<String> MATCH_RULE_KEYS = List.of("match");
    /** What a break-glass role grants at once: keys about reviewing have no use there. */
    private static final List<String> REVIEW_KEYS = List.of("approvers", "approvals", "pending_ttl", "auto_approve");
    private static final Duration MAX_PENDING_TTL = Duration.ofDays(7);
    private static final Pattern HOURS = Pattern.compile("([01][0-9]|2[0-4]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])");

    private RequestableLoader() {}

    static Requestable requestable(Fields f, Entry entry, String role) throws PolicyException {
        String where = "requestable of " + role;
        MapNode node = f.map(entry.value(), "'requestable' in " + role);
        f.onlyKeys(node, REQUESTABLE_KEYS, where);
        boolean breakGlass = f.optional(node, "break_glass", false, e -> f.bool(e, where));
        if (breakGlass) {
            for (String key : REVIEW_KEYS) {
                Optional<Entry> useless = f.optional(node, key);
                if (useless.isPresent()) {
                    throw f.error(useless.get().line(), "'" + key + "' has no use in " + where
                            + ": a break_glass role is granted at once, without review");
                }
            }
        }
        List<MatchRule> requesters = matchRules(f, f.required(node, "requesters", where), "requester", role);
        List<MatchRule> approvers = breakGlass ? List.of()
                : matchRules(f, f.required(node, "approvers", where), "approver", role);
        int approvals = f.optional(node, "approvals", 1, e -> {
            int n = f.integer(e, where);
            if (n < 1 || n > Requestable.MAX_APPROVALS) {
                throw f.error(e.value().line(), "'approvals' in " + where + " must be 1 to "
                        + Requestable.MAX_APPROVALS + ", got " + n);
            }
            return n;
        });
        Entry maxEntry = f.required(node, "max_duration", where);
        Duration maxDuration = f.duration(maxEntry, where);
        if (breakGlass && maxDuration.compareTo(Requestable.BREAK_GLASS_MAX) > 0) {
            throw f.error(maxEntry.value().line(), "'max_duration' in " + where + " is " + Durations.format(maxDuration)
                    + ", above the break-glass ceiling of " + Durations.format(Requestable.BREAK_GLASS_MAX));
        }
        boolean reasonRequired = f.optional(node, "reason_required", true, e -> {
            boolean required = f.bool(e, where);
            if (breakGlass && !required) {
                throw f.error(e.value().line(), "a break_glass role always requires a reason: remove"
                        + " 'reason_required: false' from " + where);
            }
            return required;
        });
        Duration pendingTtl = f.optional(node, "pending_ttl", Requestable.DEFAULT_PENDING_TTL, e -> {
            Duration ttl = f.duration(e, where);
            if (ttl.compareTo(MAX_PENDING_TTL) > 0) {
                throw f.error(e.value().line(), "'pending_ttl' in " + where + " is " + Durations.format(ttl)
                        + ", above the ceiling of " + Durations.format(MAX_PENDING_TTL));
            }
            return ttl;
        });
        List<AutoApproval> autoApprove = f.optional(node, "auto_approve", List.of(),
                e -> autoApprovals(f, e, role, maxDuration));
        return PolicyLoader.check(f, node.line(), () -> new Requestable(requesters, approvers, approvals, maxDuration, reasonRequired,
                pendingTtl, autoApprove, breakGlass));
    }

    private static List<AutoApproval> autoApprovals(Fields f, Entry entry, String role, Duration roleMax)
            throws PolicyException {
        if (!(entry.value() instanceof ListNode list) || list.items().isEmpty()) {
            throw f.error(entry.value().line(), "'auto_approve' in requestable of " + role + " must be a non-empty list"
                    + " of condition sets (leave it out for no auto-approval)");
        }
        List<AutoApproval> out = new ArrayList<>();
        for (int i = 0; i < list.items().size(); i++) {
            String at = "auto_approve " + (i + 1) + " of " + role;
            MapNode node = f.map(list.items().get(i), at);
            f.onlyKeys(node, AUTO_APPROVE_KEYS, at);
            List<String> groups = PolicyLoader.texts(PolicyLoader.optionalStrings(f, node, "groups", at));
            Set<DayOfWeek> weekdays = EnumSet.noneOf(DayOfWeek.class);
            for (Item item : PolicyLoader.optionalStrings(f, node, "weekdays", at)) {
                weekdays.add(AutoApproval.parseDay(item.text()).orElseThrow(() -> f.error(item.line(), "unknown weekday '"
                        + item.text() + "' in " + at + " (use mon, tue, wed, thu, fri, sat, sun)")));
            }
            int[] hours = f.optional(node, "hours", new int[] {-1, -1}, e -> hours(f, e, at));
            ZoneId zone = f.optional(node, "time_zone", null, e -> timeZone(f, e, at));
            Duration max = f.optional(node, "max_duration", null, e -> {
                Duration d = f.duration(e, at);
                if (d.compareTo(roleMax) > 0) {
                    throw f.error(e.value().line(), "'max_duration' in " + at + " is " + Durations.format(d)
                            + ", above the role's max_duration " + Durations.format(roleMax));
                }
                return d;
            });
            boolean window = hours[0] >= 0 || !weekdays.isEmpty();
            if (window && zone == null) {
                throw f.error(node.line(), at + " needs 'time_zone' with weekdays or hours");
            }
            if (!window && zone != null) {
                throw f.error(node.get("time_zone").orElseThrow().line(), "'time_zone' in " + at
                        + " has no use without weekdays or hours");
            }
            if (groups.isEmpty() && !window && max == null) {
                throw f.error(node.line(), at + " needs at least one of groups, weekdays, hours, max_duration");
            }
            out.add(new AutoApproval(groups, weekdays, hours[0], hours[1], zone, max));
        }
        return out;
    }

    /** {@code "09:00-18:00"} as minutes after midnight; the end may be 24:00, and comes after the start. */
    private static int[] hours(Fields f, Entry entry, String at) throws PolicyException {
        String text = f.string(entry, at);
        Matcher m = HOURS.matcher(text);
        if (m.matches()) {
            int from = Integer.parseInt(m.group(1)) * 60 + Integer.parseInt(m.group(2));
            int to = Integer.parseInt(m.group(3)) * 60 + Integer.parseInt(m.group(4));
            if (from < to && to <= 24 * 60) {
                return new int[] {from, to};
            }
        }
        throw f.error(entry.value().line(), "'hours' in " + at + " must be like 09:00-18:00, the start before the end"
                + " within one day, got '" + text + "'");
    }

    private static ZoneId timeZone(Fields f, Entry entry, String at) throws PolicyException {
        String text = f.string(entry, at);
        try {
            return ZoneId.of(text);
        } catch (DateTimeException e) {
            throw f.error(entry.value().line(), "'time_zone' in " + at + " is not a known time zone, got '" + text
                    + "' (use a name such as Europe/Berlin or UTC)");
        }
    }

    /** A non-empty list of {@code - match: {...}} entries; each is named "requester 1 of role 'x'" in messages. */
    private static List<MatchRule> matchRules(Fields f, Entry entry, String kind, String role) throws PolicyException {
        if (!(entry.value() instanceof ListNode list) || list.items().isEmpty()) {
            throw f.error(entry.value().line(), "'" + entry.key() + "' in requestable of " + role
                    + " must be a non-empty list of {match: ...} entries");
        }
        List<MatchRule> rules = new ArrayList<>();
        for (int i = 0; i < list.items().size(); i++) {
            rules.add(matchRule(f, list.items().get(i), kind + " " + (i + 1) + " of " + role));
        }
        return rules;
    }

    static MatchRule matchRule(Fields f, Node node, String where) throws PolicyException {
        MapNode map = f.map(node, where);
        f.onlyKeys(map, MATCH_RULE_KEYS, where);
        return new MatchRule(PolicyLoader.match(f, f.required(map, "match", where), where), f.origin(map));
    }
}
