package dev.writ.policy;

import static dev.writ.policy.TestIdentities.person;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.policy.RequestDecision.Outcome;
import dev.writ.policy.RequestDecision.Refusal;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestablePolicyTest {

    /** Wednesday 18 November 2026, 10:00 in Berlin (CET, UTC+1). */
    static final Instant WEDNESDAY_10_BERLIN = Instant.parse("2026-11-18T09:00:00Z");

    /**
     * prod-admin: requested by engineering, approved by sre-leads, auto-approved for oncall on
     * weekdays 09-18 in Berlin up to 1h; break-glass for sre; a deny rule for contractors.
     * Line 1 is "roles:".
     */
    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 8h
                max_ttl: 12h
              - name: prod-admin
                principals: [root]
                max_ttl: 1h
                requestable:
                  requesters: [{ match: { groups: [engineering] } }, { match: { groups: [sre] } }]
                  approvers: [{ match: { groups: [sre-leads] } }]
                  approvals: 1
                  max_duration: 4h
                  reason_required: true
                  auto_approve:
                    - groups: [oncall]
                      weekdays: [mon, tue, wed, thu, fri]
                      hours: "09:00-18:00"
                      time_zone: Europe/Berlin
                      max_duration: 1h
              - name: break-glass
                principals: [root]
                max_ttl: 30m
                requestable:
                  requesters: [{ match: { groups: [sre] } }]
                  max_duration: 30m
                  break_glass: true
              - name: db-read
                match: { groups: [dba] }
                principals: [dbread]
                max_ttl: 8h
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [dba] } }]
                  approvals: 2
                  max_duration: 8h
                  reason_required: false
                  pending_ttl: 30m
            deny:
              - name: no-contractors-in-prod
                match: { groups: [contractors] }
                roles: [prod-admin, break-glass]
              - name: suspended-accounts
                match: { groups: [suspended] }
            auditors:
              - match: { groups: [security] }
            """;

    static Policy policy() {
        try {
            return Policy.parse("p.yaml", POLICY);
        } catch (PolicyException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Nested
    class Loading {

        @Test
        void readsEveryKeyOfARequestableRole() {
            Role role = policy().role("prod-admin").orElseThrow();
            assertNull(role.match());
            Requestable r = role.requestable();
            assertEquals(1, r.requesters().size() - 1, "two requester entries");
            assertEquals("p.yaml:11", r.requesters().get(0).origin());
            assertEquals(1, r.approvals());
            assertEquals(Duration.ofHours(4), r.maxDuration());
            assertTrue(r.reasonRequired());
            assertEquals(Duration.ofHours(1), r.pendingTtl(), "the default pending_ttl");
            assertFalse(r.breakGlass());
            assertEquals(List.of(new AutoApproval(List.of("oncall"), EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY),
                    9 * 60, 18 * 60, ZoneId.of("Europe/Berlin"), Duration.ofHours(1))), r.autoApprove());
        }

        @Test
        void keepsTheStandingMatchOfARoleThatIsAlsoRequestable() {
            Role role = policy().role("db-read").orElseThrow();
            assertEquals(List.of("dba"), role.match().groups());
            assertEquals(2, role.requestable().approvals());
            assertFalse(role.requestable().reasonRequired());
            assertEquals(Duration.ofMinutes(30), role.requestable().pendingTtl());
        }

        /** A requestable role whose requestable section is {@code lines} (indented by six spaces). */
        static String requestable(String... lines) {
            return """
                    roles:
                      - name: prod-admin
                        principals: [root]
                        max_ttl: 1h
                        requestable:
                    """ + Stream.of(lines).map(l -> "      " + l + "\n").reduce("", String::concat);
        }

        static final String[] VALID = {"requesters: [{ match: { groups: [eng] } }]",
                "approvers: [{ match: { groups: [leads] } }]", "max_duration: 2h"};

        static String[] valid(String... more) {
            return Stream.concat(Stream.of(VALID), Stream.of(more)).toArray(String[]::new);
        }

        static Stream<Arguments> errors() {
            return Stream.of(
                    Arguments.of("fail/neither-match-nor-requestable", """
                                    roles:
                                      - name: prod-admin
                                        principals: [root]
                                        max_ttl: 1h
                                    """,
                            "p.yaml:2: role 'prod-admin' is missing 'match'"),
                    Arguments.of("fail/requestable-not-a-mapping", requestable().replace("requestable:", "requestable: soon"),
                            "p.yaml:5: 'requestable' in role 'prod-admin' must be a mapping, got a string"),
                    Arguments.of("fail/unknown-key", requestable(valid("approval: 2")),
                            "p.yaml:9: unknown key 'approval' in requestable of role 'prod-admin' (did you mean"
                                    + " 'approvals'?)"),
                    Arguments.of("fail/requesters-missing", requestable(VALID[1], VALID[2]),
                            "p.yaml:6: requestable of role 'prod-admin' is missing 'requesters'"),
                    Arguments.of("fail/approvers-missing", requestable(VALID[0], VALID[2]),
                            "p.yaml:6: requestable of role 'prod-admin' is missing 'approvers'"),
                    Arguments.of("fail/max-duration-missing", requestable(VALID[0], VALID[1]),
                            "p.yaml:6: requestable of role 'prod-admin' is missing 'max_duration'"),
                    Arguments.of("fail/requesters-empty", requestable("requesters: []", VALID[1], VALID[2]),
                            "p.yaml:6: 'requesters' in requestable of role 'prod-admin' must be a non-empty list of"
                                    + " {match: ...} entries"),
                    Arguments.of("fail/requester-without-match", requestable("requesters: [{ groups: [eng] }]",
                                    VALID[1], VALID[2]),
                            "p.yaml:6: unknown key 'groups' in requester 1 of role 'prod-admin'"),
                    Arguments.of("fail/approver-match-empty", requestable(VALID[0],
                                    "approvers: [{ match: { groups: [leads] } }, { match: {} }]", VALID[2]),
                            "p.yaml:7: match of approver 2 of role 'prod-admin' needs at least one of issuer, email,"
                                    + " groups, claims"),
                    Arguments.of("fail/approvals-zero", requestable(valid("approvals: 0")),
                            "p.yaml:9: 'approvals' in requestable of role 'prod-admin' must be 1 to 10, got 0"),
                    Arguments.of("fail/approvals-text", requestable(valid("approvals: two")),
                            "p.yaml:9: 'approvals' in requestable of role 'prod-admin' must be a whole number, got"
                                    + " 'two'"),
                    Arguments.of("fail/reason-required-not-boolean", requestable(valid("reason_required: maybe")),
                            "p.yaml:9: 'reason_required' in requestable of role 'prod-admin' must be true or false,"
                                    + " got 'maybe'"),
                    Arguments.of("fail/pending-ttl-above-7d", requestable(valid("pending_ttl: 8d")),
                            "p.yaml:9: 'pending_ttl' in requestable of role 'prod-admin' is 8d, above the ceiling of 7d"),
                    Arguments.of("fail/break-glass-longer-than-1h", requestable(VALID[0], "max_duration: 2h",
                                    "break_glass: true"),
                            "p.yaml:7: 'max_duration' in requestable of role 'prod-admin' is 2h, above the break-glass"
                                    + " ceiling of 1h"),
                    Arguments.of("fail/break-glass-without-reason", requestable(VALID[0], "max_duration: 1h",
                                    "break_glass: true", "reason_required: false"),
                            "p.yaml:9: a break_glass role always requires a reason: remove 'reason_required: false'"
                                    + " from requestable of role 'prod-admin'"),
                    Arguments.of("fail/break-glass-with-approvers", requestable(valid("break_glass: true")),
                            "p.yaml:7: 'approvers' has no use in requestable of role 'prod-admin': a break_glass role"
                                    + " is granted at once, without review"),
                    Arguments.of("fail/auto-approve-empty", requestable(valid("auto_approve: []")),
                            "p.yaml:9: 'auto_approve' in requestable of role 'prod-admin' must be a non-empty list of"
                                    + " condition sets (leave it out for no auto-approval)"),
                    Arguments.of("fail/auto-approve-without-condition", requestable(valid("auto_approve: [{}]")),
                            "p.yaml:9: auto_approve 1 of role 'prod-admin' needs at least one of groups, weekdays,"
                                    + " hours, max_duration"),
                    Arguments.of("fail/auto-approve-unknown-key", requestable(valid("auto_approve: [{ group: oncall }]")),
                            "p.yaml:9: unknown key 'group' in auto_approve 1 of role 'prod-admin' (did you mean"
                                    + " 'groups'?)"),
                    Arguments.of("fail/weekday-spelt-out", requestable(valid("auto_approve:",
                                    "  - { weekdays: [monday], time_zone: UTC }")),
                            "p.yaml:10: unknown weekday 'monday' in auto_approve 1 of role 'prod-admin' (use mon, tue,"
                                    + " wed, thu, fri, sat, sun)"),
                    Arguments.of("fail/hours-overnight", requestable(valid("auto_approve:",
                                    "  - { hours: \"22:00-06:00\", time_zone: UTC }")),
                            "p.yaml:10: 'hours' in auto_approve 1 of role 'prod-admin' must be like 09:00-18:00, the"
                                    + " start before the end within one day, got '22:00-06:00'"),
                    Arguments.of("fail/hours-not-a-time", requestable(valid("auto_approve:",
                                    "  - { hours: \"9-18\", time_zone: UTC }")),
                            "p.yaml:10: 'hours' in auto_approve 1 of role 'prod-admin' must be like 09:00-18:00, the"
                                    + " start before the end within one day, got '9-18'"),
                    Arguments.of("fail/hours-without-time-zone", requestable(valid("auto_approve:",
                                    "  - { hours: \"09:00-18:00\" }")),
                            "p.yaml:10: auto_approve 1 of role 'prod-admin' needs 'time_zone' with weekdays or hours"),
                    Arguments.of("fail/time-zone-unknown", requestable(valid("auto_approve:",
                                    "  - { hours: \"09:00-18:00\", time_zone: Europe/Berln }")),
                            "p.yaml:10: 'time_zone' in auto_approve 1 of role 'prod-admin' is not a known time zone,"
                                    + " got 'Europe/Berln' (use a name such as Europe/Berlin or UTC)"),
                    Arguments.of("fail/time-zone-alone", requestable(valid("auto_approve:",
                                    "  - { groups: [oncall], time_zone: UTC }")),
                            "p.yaml:10: 'time_zone' in auto_approve 1 of role 'prod-admin' has no use without weekdays"
                                    + " or hours"),
                    Arguments.of("fail/auto-max-above-role-max", requestable(valid("auto_approve:",
                                    "  - { groups: [oncall], max_duration: 3h }")),
                            "p.yaml:10: 'max_duration' in auto_approve 1 of role 'prod-admin' is 3h, above the role's"
                                    + " max_duration 2h"),
                    Arguments.of("fail/auditor-without-match", "auditors:\n  - groups: [security]\n",
                            "p.yaml:2: unknown key 'groups' in auditor #1"),
                    Arguments.of("fail/auditors-not-a-list", "auditors:\n  match: { groups: [security] }\n",
                            "p.yaml:2: 'auditors' must be a list, got a mapping"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("errors")
        void refusesAnInvalidRequestableSectionWithFileAndLine(String name, String yaml, String message) {
            PolicyException e = assertThrows(PolicyException.class, () -> Policy.parse("p.yaml", yaml));
            assertEquals(message, e.getMessage());
        }

        @Test
        void acceptsHoursUntilMidnight() throws Exception {
            Policy policy = Policy.parse("p.yaml", requestable(valid("auto_approve:",
                    "  - { hours: \"18:00-24:00\", time_zone: UTC }")));
            AutoApproval auto = policy.role("prod-admin").orElseThrow().requestable().autoApprove().get(0);
            assertEquals(18 * 60, auto.fromMinute());
            assertEquals(24 * 60, auto.toMinute());
        }
    }

    @Nested
    class Requests {

        static final Instant SATURDAY_10_BERLIN = Instant.parse("2026-11-21T09:00:00Z");

        static Stream<Arguments> cases() {
            Identity alice = person("alice@example.com", "engineering");
            Identity oncall = person("olga@example.com", "engineering", "oncall");
            Identity sre = person("sam@example.com", "sre");
            Identity contractorOncall = person("carl@example.com", "engineering", "oncall", "contractors");
            Identity contractorSre = person("cora@example.com", "sre", "contractors");
            Identity visitor = person("vic@example.com", "visitors");
            Instant wed = WEDNESDAY_10_BERLIN;
            Duration h1 = Duration.ofHours(1);
            return Stream.of(
                    Arguments.of("ok/pending-with-reason", alice, "prod-admin", Duration.ofHours(2), "deploy fix", wed,
                            Outcome.PENDING, null, "waiting for 1 approval (not auto-approved: condition 1: groups"
                                    + " [engineering] contain none of [oncall])"),
                    Arguments.of("ok/duration-exactly-max", alice, "prod-admin", Duration.ofHours(4), "x", wed,
                            Outcome.PENDING, null, null),
                    Arguments.of("ok/no-duration-means-the-maximum", alice, "prod-admin", null, "x", wed,
                            Outcome.PENDING, null, null),
                    Arguments.of("ok/auto-approved-oncall-inside-the-window", oncall, "prod-admin", h1, "page", wed,
                            Outcome.AUTO_APPROVED, null, "auto-approved by condition 1 of role 'prod-admin' (groups"
                                    + " [oncall], [mon, tue, wed, thu, fri], 09:00-18:00, Europe/Berlin, at most 1h)"),
                    Arguments.of("ok/auto-approved-at-the-first-minute", oncall, "prod-admin", h1, "page",
                            Instant.parse("2026-11-18T08:00:00Z"), Outcome.AUTO_APPROVED, null, null),
                    Arguments.of("ok/auto-approval-follows-summer-time", oncall, "prod-admin", h1, "page",
                            Instant.parse("2026-07-15T07:30:00Z"), Outcome.AUTO_APPROVED, null, null),
                    Arguments.of("fail/auto-approval-before-the-window", oncall, "prod-admin", h1, "page",
                            Instant.parse("2026-11-18T07:59:00Z"), Outcome.PENDING, null, "waiting for 1 approval (not"
                                    + " auto-approved: condition 1: it is 08:59 in Europe/Berlin, outside 09:00-18:00)"),
                    Arguments.of("fail/auto-approval-at-the-end-of-the-window", oncall, "prod-admin", h1, "page",
                            Instant.parse("2026-11-18T17:00:00Z"), Outcome.PENDING, null, "waiting for 1 approval (not"
                                    + " auto-approved: condition 1: it is 18:00 in Europe/Berlin, outside 09:00-18:00)"),
                    Arguments.of("fail/auto-approval-on-saturday", oncall, "prod-admin", h1, "page", SATURDAY_10_BERLIN,
                            Outcome.PENDING, null, "waiting for 1 approval (not auto-approved: condition 1: it is sat in"
                                    + " Europe/Berlin, not one of [mon, tue, wed, thu, fri])"),
                    Arguments.of("fail/auto-approval-asking-too-long", oncall, "prod-admin", Duration.ofHours(2), "page",
                            wed, Outcome.PENDING, null, "waiting for 1 approval (not auto-approved: condition 1:"
                                    + " requested 2h is more than 1h)"),
                    Arguments.of("fail/deny-rule-beats-auto-approval", contractorOncall, "prod-admin", h1, "page", wed,
                            Outcome.REFUSED, Refusal.DENIED, "denied by rule 'no-contractors-in-prod'"),
                    Arguments.of("ok/break-glass", sre, "break-glass", Duration.ofMinutes(30), "prod down", wed,
                            Outcome.BREAK_GLASS, null, "break-glass: role 'break-glass' granted at once, without approval"),
                    Arguments.of("fail/deny-rule-beats-break-glass", contractorSre, "break-glass", null, "prod down", wed,
                            Outcome.REFUSED, Refusal.DENIED, "denied by rule 'no-contractors-in-prod'"),
                    Arguments.of("fail/break-glass-without-reason", sre, "break-glass", null, " ", wed,
                            Outcome.REFUSED, Refusal.REASON_REQUIRED, "a reason is required to request role 'break-glass'"),
                    Arguments.of("fail/break-glass-above-max", sre, "break-glass", Duration.ofMinutes(31), "down", wed,
                            Outcome.REFUSED, Refusal.DURATION_ABOVE_MAX, "requested duration 31m exceeds the maximum of"
                                    + " 30m for role 'break-glass'"),
                    Arguments.of("fail/break-glass-by-a-non-requester", alice, "break-glass", null, "down", wed,
                            Outcome.REFUSED, Refusal.NOT_A_REQUESTER, "alice@example.com may not request role"
                                    + " 'break-glass'"),
                    Arguments.of("fail/duration-above-max", alice, "prod-admin", Duration.ofHours(5), "x", wed,
                            Outcome.REFUSED, Refusal.DURATION_ABOVE_MAX, "requested duration 5h exceeds the maximum of 4h"
                                    + " for role 'prod-admin'"),
                    Arguments.of("fail/reason-missing", alice, "prod-admin", h1, null, wed,
                            Outcome.REFUSED, Refusal.REASON_REQUIRED, "a reason is required to request role 'prod-admin'"),
                    Arguments.of("ok/reason-optional", alice, "db-read", h1, null, wed, Outcome.PENDING, null,
                            "waiting for 2 approvals"),
                    Arguments.of("fail/not-a-requester", visitor, "prod-admin", h1, "x", wed,
                            Outcome.REFUSED, Refusal.NOT_A_REQUESTER, "vic@example.com may not request role 'prod-admin'"),
                    Arguments.of("fail/not-requestable", alice, "engineer", h1, "x", wed,
                            Outcome.REFUSED, Refusal.NOT_REQUESTABLE, "role 'engineer' is not requestable"),
                    Arguments.of("fail/unknown-role", alice, "prod-admn", h1, "x", wed,
                            Outcome.REFUSED, Refusal.UNKNOWN_ROLE, "unknown role 'prod-admn'"),
                    Arguments.of("fail/suspended", person("sue@example.com", "engineering", "suspended"), "prod-admin",
                            h1, "x", wed, Outcome.REFUSED, Refusal.DENIED, "denied by rule 'suspended-accounts'"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void decidesEachRequest(String name, Identity requester, String role, Duration duration, String reason,
                                Instant now, Outcome outcome, Refusal refusal, String why) {
            RequestDecision decision = policy().requestDecision(requester, role, duration, reason, now);
            assertEquals(outcome, decision.outcome(), decision.reason());
            assertEquals(refusal, decision.refusal());
            if (why != null) {
                assertEquals(why, decision.reason());
            }
        }

        @Test
        void givesAPendingRequestItsApprovalsAndLifetime() {
            RequestDecision decision = policy().requestDecision(person("alice@example.com", "engineering"), "db-read",
                    null, null, WEDNESDAY_10_BERLIN);
            assertEquals(2, decision.approvalsRequired());
            assertEquals(Duration.ofMinutes(30), decision.pendingTtl());
            assertEquals(Duration.ofHours(8), decision.duration());
        }
    }

    @Nested
    class Approving {

        static Stream<Arguments> cases() {
            Identity alice = person("alice@example.com", "engineering");
            Identity lead = person("lena@example.com", "sre-leads");
            return Stream.of(
                    Arguments.of("ok/approver", lead, "prod-admin", alice, true, "lena@example.com is an approver of role"
                            + " 'prod-admin'"),
                    Arguments.of("fail/self-approval-even-as-an-approver", person("alice@example.com", "engineering",
                            "sre-leads"), "prod-admin", alice, false, "you cannot review your own request"),
                    Arguments.of("fail/same-email-from-another-account", Identity.fromClaims("https://other-idp",
                            Map.of("sub", "x", "email", "ALICE@example.com", "groups", List.of("sre-leads"))),
                            "prod-admin", alice, false, "you cannot review your own request"),
                    Arguments.of("fail/not-an-approver", person("carol@example.com", "engineering"), "prod-admin", alice,
                            false, "carol@example.com may not review requests for role 'prod-admin'"),
                    Arguments.of("fail/approver-taken-away-by-deny-rule", person("lars@example.com", "sre-leads",
                            "contractors"), "prod-admin", alice, false, "lars@example.com may not review requests for"
                            + " role 'prod-admin': denied by rule 'no-contractors-in-prod'"),
                    Arguments.of("fail/break-glass-has-no-reviewers", lead, "break-glass", alice, false,
                            "role 'break-glass' is break-glass: its requests are granted without review"),
                    Arguments.of("fail/not-requestable", lead, "engineer", alice, false,
                            "no requestable role 'engineer'"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void decidesWhoMayReview(String name, Identity approver, String role, Identity requester, boolean allowed,
                                 String reason) {
            Verdict verdict = policy().mayApprove(approver, role, requester);
            assertEquals(new Verdict(allowed, reason), verdict);
        }
    }

    @Nested
    class Grants {

        @Test
        void addTheGrantedRolesPrincipalsAndNameThem() {
            UserDecision decision = policy().evaluateUser(person("alice@example.com", "engineering"), Set.of("prod-admin"));
            assertEquals(List.of("engineer", "prod-admin"), decision.grant().roles());
            assertEquals(Set.of("alice", "root"), decision.grant().principals());
            assertEquals(Set.of("prod-admin"), decision.grant().grantedRoles());
            assertEquals(Duration.ofHours(1), decision.grant().maxTtl());
        }

        @Test
        void giveARequestableOnlyRoleToNobodyWithoutAGrant() {
            UserDecision decision = policy().evaluateUser(person("alice@example.com", "engineering", "sre"));
            assertEquals(List.of("engineer"), decision.grant().roles());
            assertEquals(Set.of(), decision.grant().grantedRoles());
        }

        @Test
        void doNotCountAsGrantedWhatTheIdentityHoldsStanding() {
            UserDecision decision = policy().evaluateUser(person("dora@example.com", "dba", "engineering"),
                    Set.of("db-read"));
            assertEquals(Set.of(), decision.grant().grantedRoles());
        }

        @Test
        void loseToADenyRule() {
            Identity carl = person("carl@example.com", "engineering", "contractors");
            UserDecision decision = policy().evaluateUser(carl, Set.of("prod-admin"));
            assertEquals(List.of("engineer"), decision.grant().roles());
            assertTrue(policy().explain(carl, Set.of("prod-admin")).contains(
                    "deny rule 'no-contractors-in-prod' (p.yaml:41): matches, removes prod-admin\n"));
        }

        @Test
        void areIgnoredOnceTheHolderIsNoLongerARequester() {
            Identity moved = person("mo@example.com", "marketing");
            assertEquals("no role matches", policy().evaluateUser(moved, Set.of("prod-admin")).reason());
            assertTrue(policy().explain(moved, Set.of("prod-admin")).contains("role 'prod-admin' (p.yaml:7): does not"
                    + " match: requestable only (no standing match); access grant ignored: no longer a requester:"
                    + " groups [marketing] contain none of [engineering]; groups [marketing] contain none of [sre]\n"));
        }

        @Test
        void areIgnoredForRolesThatAreNotRequestable() {
            UserDecision decision = policy().evaluateUser(person("alice@example.com", "engineering"), Set.of("ci-deploy",
                    "nonexistent"));
            assertEquals(List.of("engineer"), decision.grant().roles());
        }
    }

    @Nested
    class Auditors {

        @Test
        void areThoseTheAuditorsSectionMatches() {
            assertTrue(policy().isAuditor(person("sec@example.com", "security")));
            assertFalse(policy().isAuditor(person("alice@example.com", "engineering")));
        }

        @Test
        void loseAuditingToADenyRuleForEveryRole() {
            assertFalse(policy().isAuditor(person("sec@example.com", "security", "suspended")));
        }

        @Test
        void areNobodyWithoutTheSection() throws Exception {
            assertFalse(Policy.parse("p.yaml", "roles: []\n").isAuditor(person("sec@example.com", "security")));
        }
    }

    @Nested
    class Examples {

        private final Policy policy = TestIdentities.examples();

        @Test
        void makeProdAdminRequestableByEngineersAndApprovedBySreLeads() {
            Identity alice = person("alice@example.com", "engineering");
            RequestDecision decision = policy.requestDecision(alice, "prod-admin", Duration.ofHours(2), "INC-1",
                    WEDNESDAY_10_BERLIN);
            assertEquals(Outcome.PENDING, decision.outcome(), decision.reason());
            assertEquals(1, decision.approvalsRequired());
            assertEquals("requested duration 3h exceeds the maximum of 2h for role 'prod-admin'",
                    policy.requestDecision(alice, "prod-admin", Duration.ofHours(3), "INC-1", WEDNESDAY_10_BERLIN).reason());
            assertTrue(policy.mayApprove(person("bob@example.com", "sre-leads"), "prod-admin", alice).allowed());
        }

        @Test
        void autoApproveOnCallEngineersDuringOfficeHours() {
            Identity olga = person("olga@example.com", "engineering", "oncall");
            assertEquals(Outcome.AUTO_APPROVED, policy.requestDecision(olga, "prod-admin", null, "page",
                    WEDNESDAY_10_BERLIN).outcome());
        }

        @Test
        void grantBreakGlassToSresAndNeverToContractors() {
            assertEquals(Outcome.BREAK_GLASS, policy.requestDecision(person("sam@example.com", "sre"), "break-glass",
                    null, "outage", WEDNESDAY_10_BERLIN).outcome());
            assertEquals(Refusal.DENIED, policy.requestDecision(person("cora@example.com", "sre", "contractors"),
                    "break-glass", null, "outage", WEDNESDAY_10_BERLIN).refusal());
        }

        @Test
        void letTheSecurityTeamAudit() {
            assertTrue(policy.isAuditor(person("sec@example.com", "security")));
        }
    }
}
