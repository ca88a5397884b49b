package dev.writ.agent.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.Sleeper;
import dev.writ.agent.testing.DeviceIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ login --device} against a device-capable OIDC provider over HTTP ({@link DeviceIdp}).
 * The waits between polls go through a sleeper that records them and moves the test clock
 * instead of sleeping; the user's approval on "another device" is an HTTP request to the
 * provider's verification page, made during one of those waits.
 */
class DeviceLoginTest {

    @TempDir
    static Path shared;
    static DeviceIdp idp;
    static TestCa ca;

    @TempDir
    Path dir;
    TestEnv env;
    final List<Duration> waits = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        idp = DeviceIdp.start();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS);
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    @BeforeEach
    void configure() {
        env = TestEnv.in(dir);
        Result configure = env.run("configure", "--ca", ca.url());
        assertEquals(0, configure.exit(), configure.toString());
    }

    /** Records each wait and moves the clock by it; on wait number {@code decideOn}, the user decides. */
    Sleeper userDecidesOnWait(int decideOn, boolean approve) {
        return duration -> {
            waits.add(duration);
            env.clock().advance(duration);
            if (waits.size() == decideOn) {
                try {
                    idp.decide(approve);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    @Test
    void printsTheCodeAndPollsUntilTheUserApproves() throws Exception {
        env.sleeper(userDecidesOnWait(3, true));

        Result result = env.run("login", "--device");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().matches("(?s)To log in, visit " + idp.issuerUrl() + "/verify and enter the code WRIT-\\d+\n.*"),
                result.out());
        assertTrue(result.out().contains("Logged in as bob@example.com at " + idp.issuerUrl() + "."), result.out());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)), waits, "the provider's interval");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env.tokenFile())));
    }

    @Test
    void slowsDownByFiveSecondsForEverySlowDown() {
        idp.scriptPolls("authorization_pending", "slow_down", "authorization_pending", "slow_down");
        env.sleeper(userDecidesOnWait(5, true));

        Result result = env.run("login", "--device");

        assertEquals(0, result.exit(), result.toString());
        assertEquals(List.of(1L, 1L, 6L, 6L, 11L), waits.stream().map(Duration::getSeconds).toList());
    }

    @Test
    void stopsWhenTheUserDenies() {
        env.sleeper(userDecidesOnWait(1, false));

        Result result = env.run("login", "--device");

        assertEquals(5, result.exit(), result.toString());
        assertEquals("writ: the login was denied at the identity provider (access_denied)\n", result.err());
        assertFalse(Files.exists(env.tokenFile()));
    }

    @Test
    void stopsWhenTheProviderSaysTheCodeExpired() {
        idp.scriptPolls("authorization_pending", "expired_token");
        env.sleeper(userDecidesOnWait(99, true));

        Result result = env.run("login", "--device");

        assertEquals(6, result.exit(), result.toString());
        assertEquals("writ: the device code expired before the login was approved; run writ login --device again\n", result.err());
    }

    @Test
    void stopsPollingOnceTheCodeHasExpiredEvenWhenTheProviderKeepsSayingPending() {
        idp.deviceCodesExpireIn(4);
        env.sleeper(userDecidesOnWait(99, true));
        int pollsBefore = idp.polls();

        Result result = env.run("login", "--device");

        assertEquals(6, result.exit(), result.toString());
        assertEquals("writ: the device code expired before the login was approved; run writ login --device again\n", result.err());
        int polls = idp.polls() - pollsBefore;
        assertTrue(polls >= 3 && polls <= 4, polls + " polls: one a second while the code lives, none after");
        idp.deviceCodesExpireIn(600);
    }

    @Test
    void givesUpAfterItsOwnTimeout() {
        env.sleeper(userDecidesOnWait(99, true));

        Result result = env.run("login", "--device", "--timeout", "3s");

        assertEquals(6, result.exit(), result.toString());
        assertEquals("writ: the login was not approved within 3s; run writ login --device again\n", result.err());
    }
}
