package dev.writ.protocol.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.protocol.limits.RateLimiter.Limit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RateLimiterTest {

    /** The edge of the world: time, moved by hand. */
    static final class HandClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    final HandClock clock = new HandClock();

    @Nested
    class Buckets {

        @Test
        void admitsABurstThenRefusesWithTheTimeUntilTheNextToken() {
            var limiter = new RateLimiter<String>(new Limit(3, Duration.ofSeconds(30)), 10, clock);
            for (int i = 0; i < 3; i++) {
                assertTrue(limiter.acquire("alice").admitted(), "request " + (i + 1));
            }
            var refused = limiter.acquire("alice");
            assertFalse(refused.admitted());
            assertEquals(Duration.ofSeconds(10), refused.retryAfter());
            assertEquals(10, refused.retryAfterSeconds());
        }

        @Test
        void refillsEvenlyAndNeverAboveTheBurst() {
            var limiter = new RateLimiter<String>(new Limit(3, Duration.ofSeconds(30)), 10, clock);
            for (int i = 0; i < 3; i++) {
                limiter.acquire("alice");
            }
            clock.advance(Duration.ofSeconds(9));
            var early = limiter.acquire("alice");
            assertEquals(List.of(false, 1L), List.of(early.admitted(), early.retryAfterSeconds()));
            clock.advance(Duration.ofSeconds(1));
            assertTrue(limiter.acquire("alice").admitted());
            assertFalse(limiter.acquire("alice").admitted());
            clock.advance(Duration.ofHours(1));
            for (int i = 0; i < 3; i++) {
                assertTrue(limiter.acquire("alice").admitted(), "request " + (i + 1) + " after an hour");
            }
            assertFalse(limiter.acquire("alice").admitted());
        }

        @Test
        void keepsKeysApart() {
            var limiter = new RateLimiter<String>(new Limit(1, Duration.ofMinutes(1)), 10, clock);
            assertTrue(limiter.acquire("alice").admitted());
            assertFalse(limiter.acquire("alice").admitted());
            assertTrue(limiter.acquire("bob").admitted());
        }

        @Test
        void peekTakesNothing() {
            var limiter = new RateLimiter<String>(new Limit(1, Duration.ofMinutes(1)), 10, clock);
            for (int i = 0; i < 5; i++) {
                assertTrue(limiter.peek("alice").admitted());
            }
            assertTrue(limiter.acquire("alice").admitted());
            assertFalse(limiter.peek("alice").admitted());
            assertEquals(60, limiter.peek("alice").retryAfterSeconds());
        }

        @Test
        void zeroRequestsTurnsTheLimitOff() {
            var limiter = new RateLimiter<String>(new Limit(0, Duration.ofMinutes(1)), 1, clock);
            for (int i = 0; i < 1000; i++) {
                assertTrue(limiter.acquire("k" + i).admitted());
            }
            assertEquals(0, limiter.tracked());
        }
    }

    @Nested
    class Memory {

        @Test
        void dropsBucketsThatRefilledWhenTheCapIsReached() {
            var limiter = new RateLimiter<String>(new Limit(2, Duration.ofSeconds(10)), 100, clock);
            for (int i = 0; i < 100; i++) {
                limiter.acquire("k" + i);
            }
            assertEquals(100, limiter.tracked());
            clock.advance(Duration.ofSeconds(5)); // each took one of two tokens: full again after 5 s
            assertTrue(limiter.acquire("new").admitted());
            assertEquals(1, limiter.tracked());
        }

        @Test
        void dropsTheLeastRecentlyUsedWhenEveryBucketIsStillInUse() {
            var limiter = new RateLimiter<String>(new Limit(1, Duration.ofHours(1)), 3, clock);
            limiter.acquire("a");
            limiter.acquire("b");
            limiter.acquire("c");
            limiter.peek("a"); // a is used again: b is now the oldest
            limiter.acquire("d");
            assertEquals(3, limiter.tracked());
            assertFalse(limiter.acquire("a").admitted());
            assertTrue(limiter.acquire("b").admitted(), "b was dropped and starts with a full bucket");
        }
    }

    static Stream<Arguments> badLimits() {
        return Stream.of(
                Arguments.of("fail/negative-requests", -1, Duration.ofSeconds(1), "requests must be 0 (off) or more, got -1"),
                Arguments.of("fail/zero-per", 1, Duration.ZERO, "per must be a positive duration"),
                Arguments.of("fail/negative-per", 1, Duration.ofSeconds(-1), "per must be a positive duration"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badLimits")
    void refusesLimitsThatMeanNothing(String name, int requests, Duration per, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> new Limit(requests, per)).getMessage());
    }
}
