package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ request}, {@code writ requests}, {@code writ review} and {@code writ request drop}
 * in-process, against a real CA over HTTP with the prod-admin policy of the examples, and a real
 * OIDC provider. bob (sre-leads) approves; each test has its own engineers, since the CA allows
 * one pending request per person and role.
 */
class AccessCommandsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern ID = Pattern.compile("^request +(\\S+)$", Pattern.MULTILINE);
    static final AtomicInteger PEOPLE = new AtomicInteger();

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static Person bob;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ACCESS);
        bob = Person.loggedIn(shared.resolve("bob"), idp, ca, "bob@example.com", "sre-leads");
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    /** A new engineer, e.g. {@code alice3@example.com}. */
    Person engineer(String name) {
        String email = name + PEOPLE.incrementAndGet() + "@example.com";
        return Person.loggedIn(dir.resolve(email), idp, ca, email, "engineering");
    }

    static String requested(Person who, String reason) {
        Result result = who.run("request", "prod-admin", "--reason", reason, "--for", "1h");
        assertEquals(0, result.exit(), result.toString());
        return id(result);
    }

    static String id(Result result) {
        Matcher m = ID.matcher(result.out());
        assertTrue(m.find(), result.toString());
        return m.group(1);
    }

    static void ok(Result result) {
        assertEquals(0, result.exit(), result.toString());
        assertEquals("", result.err(), result.toString());
    }

    @Nested
    class Requesting {

        @Test
        void aRequestForAReviewedRoleIsPendingWithItsIdAndTimeLeft() {
            Person alice = engineer("alice");

            Result result = alice.run("request", "prod-admin", "--reason", "INC-4711 database down", "--for", "1h");

            ok(result);
            assertTrue(result.out().matches("""
                    request        [A-Za-z0-9_-]{22}
                    role           prod-admin for 1h
                    requester      %s
                    reason         INC-4711 database down
                    state          pending \\(waiting for 1 approval\\)
                    time left      (59m\\d+s|1h) \\(expires at \\S+Z\\)
                    """.formatted(alice.email())), result.out());
        }

        @Test
        void aDurationOverTheMaximumIsTheCasRefusalWithItsExitCode() {
            Result result = engineer("alice").run("request", "prod-admin", "--reason", "INC-4711", "--for", "3h");

            assertEquals(11, result.exit());
            assertEquals("writ: the CA refused: requested duration 3h exceeds the maximum of 2h for role 'prod-admin'"
                    + " (HTTP 400)\n", result.err());
            assertEquals("", result.out());
        }

        @Test
        void aMissingReasonIsTheCasRefusal() {
            Result result = engineer("alice").run("request", "prod-admin", "--for", "1h");

            assertEquals(11, result.exit());
            assertEquals("writ: the CA refused: a reason is required to request role 'prod-admin' (HTTP 400)\n", result.err());
        }

        @Test
        void aRelativeStartIsSentAsAnRfc3339Time() throws Exception {
            Person alice = engineer("alice");
            Instant before = Instant.now();

            Result result = alice.run("request", "prod-admin", "--reason", "maintenance window", "--for", "30m",
                    "--start-at", "+2h", "--json");

            ok(result);
            JsonNode request = JSON.readTree(result.out());
            Instant startAt = Instant.parse(request.get("start_at").asText());
            assertFalse(startAt.isBefore(before.plus(Duration.ofHours(2)).minusSeconds(1)), startAt.toString());
            assertTrue(startAt.isBefore(Instant.now().plus(Duration.ofHours(2)).plusSeconds(1)), startAt.toString());
            assertEquals("30m", request.get("duration").asText());
            assertEquals("pending", request.get("state").asText());
        }

        @Test
        void anUnreadableTimeIsAUsageError() {
            Result result = bob.run("request", "prod-admin", "--reason", "x", "--start-at", "tomorrow");

            assertEquals(2, result.exit());
            assertTrue(result.err().startsWith("--start-at: 'tomorrow' is not a time such as 2026-11-18T09:00:00Z,"
                    + " now, -2h (2 hours ago) or +30m (in 30 minutes)\n"), result.err());
        }

        @Test
        void aRoleIsRequired() {
            Result result = bob.run("request", "--reason", "x");

            assertEquals(2, result.exit());
            assertTrue(result.err().startsWith("Missing required parameter: 'ROLE' (or: writ request drop ID)\n"), result.err());
        }
    }

    @Nested
    class Reviewing {

        @Test
        void theRequesterCannotApproveHerOwnRequest() {
            Person alice = engineer("alice");
            String id = requested(alice, "INC-4712");

            Result result = alice.run("review", id, "--approve");

            assertEquals(11, result.exit());
            assertEquals("writ: the CA refused: you cannot review your own request (HTTP 403)\n", result.err());
        }

        @Test
        void anApproverApprovesAndThePendingListNoLongerShowsIt() {
            Person alice = engineer("alice");
            String id = requested(alice, "INC-4713 disk full");
            Result pendingBefore = bob.run("requests", "--pending");

            Result approved = bob.run("review", id, "--approve", "--comment", "go ahead");
            Result pendingAfter = bob.run("requests", "--pending");

            ok(pendingBefore);
            assertTrue(row(pendingBefore, id).matches(id + " +prod-admin +" + alice.email() + " +pending +- +(59m\\d+s|1h)"
                    + " +INC-4713 disk full"), pendingBefore.out());
            ok(approved);
            assertTrue(approved.out().matches("""
                    request        %s
                    role           prod-admin for 1h
                    requester      %s
                    reason         INC-4713 disk full
                    state          approved
                    reviews        bob@example.com approved: go ahead
                    time left      (59m\\d+s|1h) \\(from \\S+Z until \\S+Z\\)
                    """.formatted(id, alice.email())), approved.out());
            ok(pendingAfter);
            assertFalse(pendingAfter.out().contains(id), pendingAfter.out());
        }

        @Test
        void anApproverDeniesWithAComment() {
            String id = requested(engineer("alice"), "INC-4714");

            Result denied = bob.run("review", id, "--deny", "--comment", "use the runbook");

            ok(denied);
            assertTrue(denied.out().contains("state          denied (denied by bob@example.com)\n"), denied.out());
            assertTrue(denied.out().contains("reviews        bob@example.com denied: use the runbook\n"), denied.out());
        }

        @Test
        void anotherEngineerIsNoApprover() {
            String id = requested(engineer("alice"), "INC-4715");

            Result result = engineer("carol").run("review", id, "--approve");

            assertEquals(11, result.exit());
            assertTrue(result.err().matches("writ: the CA refused: .+ \\(HTTP 403\\)\n"), result.err());
        }

        @Test
        void exactlyOneOfApproveAndDenyIsRequired() {
            Result both = bob.run("review", "some-id", "--approve", "--deny");
            Result neither = bob.run("review", "some-id");

            assertEquals(2, both.exit());
            assertTrue(both.err().startsWith("Error: --approve, --deny are mutually exclusive"), both.err());
            assertEquals(2, neither.exit());
            assertTrue(neither.err().startsWith("Error: Missing required argument (specify one of these): (--approve | --deny)"),
                    neither.err());
        }
    }

    @Nested
    class Dropping {

        @Test
        void theRequesterWithdrawsAPendingRequest() {
            Person alice = engineer("alice");
            String id = requested(alice, "INC-4716");

            Result result = alice.run("request", "drop", id);

            ok(result);
            assertTrue(result.out().startsWith("request        " + id + "\n"), result.out());
            assertTrue(result.out().contains("state          withdrawn (withdrawn by " + alice.email() + ")\n"), result.out());
        }

        @Test
        void theRequesterEndsAnActiveGrantEarly() {
            Person alice = engineer("alice");
            String id = requested(alice, "INC-4717");
            ok(bob.run("review", id, "--approve"));

            Result result = alice.run("request", "drop", id);
            Result mine = alice.run("requests", "--mine");

            ok(result);
            assertTrue(result.out().contains("state          ended (ended early by " + alice.email() + ")\n"), result.out());
            assertFalse(result.out().contains("time left"), result.out());
            assertTrue(row(mine, id).matches(id + " +prod-admin +" + alice.email() + " +ended +bob@example.com \\(approve\\)"
                    + " +- +INC-4717"), mine.out());
        }

        @Test
        void anUnknownIdIsRefusedByTheCa() {
            Result result = bob.run("request", "drop", "no-such-request");

            assertEquals(11, result.exit());
            assertTrue(result.err().matches("writ: the CA refused: .+ \\(HTTP 404\\)\n"), result.err());
        }
    }

    @Nested
    class Listing {

        @Test
        void theTableShowsRoleRequesterStateReviewersTimeLeftAndTheReasonCut() {
            Person carol = engineer("carol");
            String id = requested(carol, "INC-4718: the primary database of the billing service is out of disk space");
            ok(bob.run("review", id, "--approve"));

            Result result = carol.run("requests", "--mine");

            ok(result);
            assertEquals("ID                      ROLE        REQUESTER" + " ".repeat(carol.email().length() - 7)
                    + "STATE     REVIEWERS                  TIME LEFT  REASON", result.out().lines().findFirst().orElseThrow());
            assertTrue(row(result, id).matches(id + "  prod-admin  " + carol.email() + "  approved  bob@example.com \\(approve\\)"
                    + "  (59m\\d\\ds|1h    )     INC-4718: the primary database of the\\.\\.\\."), result.out());
            assertEquals(2, result.out().lines().count(), result.out());
        }

        @Test
        void aRequesterSeesOnlyHerOwnAndJsonIsTheCasList() throws Exception {
            Person alice = engineer("alice");
            String alices = requested(alice, "INC-4719");
            String carols = requested(engineer("carol"), "INC-4720");

            Result result = alice.run("requests", "--json");

            ok(result);
            JsonNode requests = JSON.readTree(result.out()).get("requests");
            assertEquals(List.of(alices), requests.findValuesAsText("id"), result.out());
            assertFalse(result.out().contains(carols), result.out());
            assertEquals(alice.email(), requests.get(0).get("requester").asText());
            assertEquals("INC-4719", requests.get(0).get("reason").asText());
        }

        @Test
        void anApproverSeesEveryonesPendingRequests() {
            String alices = requested(engineer("alice"), "INC-4721");
            String carols = requested(engineer("carol"), "INC-4722");

            Result result = bob.run("requests", "--pending");

            ok(result);
            assertTrue(result.out().contains(alices) && result.out().contains(carols), result.out());
            assertFalse(result.out().contains("approved"), result.out());
        }
    }

    static String row(Result result, String id) {
        return result.out().lines().filter(line -> line.startsWith(id + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + id + " in\n" + result.out()));
    }
}
