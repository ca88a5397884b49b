package dev.writ.protocol.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets, one per key (an identity, a client address): each holds up to
 * {@link Limit#requests()} tokens, refilled evenly over {@link Limit#per()}, and a request takes
 * one. So a key may make {@code requests} at once, then one every {@code per / requests}.
 *
 * <p>Memory is bounded: a bucket that has refilled completely is the same as no bucket and is
 * dropped; when {@code maxKeys} buckets are still tracked, the least recently used one is dropped
 * (that key starts again with a full bucket: under a flood from more keys than the cap, the limit
 * fails open for the oldest keys rather than shutting everyone out). Time comes from the injected
 * clock only, so tests move it instead of sleeping. Thread-safe; every call is a few map
 * operations under one lock.
 */
public final class RateLimiter<K> {

    /**
     * At most {@code requests} in a burst, refilled evenly over {@code per}; {@code requests} 0
     * turns the limit off.
     */
    public record Limit(int requests, Duration per) {
        public Limit {
            if (requests < 0) {
                throw new IllegalArgumentException("requests must be 0 (off) or more, got " + requests);
            }
            if (per == null || per.isNegative() || per.isZero()) {
                throw new IllegalArgumentException("per must be a positive duration");
            }
        }

        public boolean off() {
            return requests == 0;
        }

        @Override
        public String toString() {
            return off() ? "off" : requests + " per " + per.toSeconds() + " s";
        }
    }

    /** Admitted, or refused until {@code retryAfter} has passed (then one more request fits). */
    public record Decision(boolean admitted, Duration retryAfter) {
        static final Decision ADMITTED = new Decision(true, Duration.ZERO);

        /** Whole seconds to wait, at least 1: what {@code Retry-After} and a banner say. */
        public long retryAfterSeconds() {
            return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        }
    }

    private static final class Bucket {
        double tokens;
        long updatedNanos;
    }

    private final Limit limit;
    private final int maxKeys;
    private final Clock clock;
    private final double nanosPerToken;
    private final LinkedHashMap<K, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true);

    public RateLimiter(Limit limit, int maxKeys, Clock clock) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1");
        }
        this.limit = limit;
        this.maxKeys = maxKeys;
        this.clock = clock;
        this.nanosPerToken = limit.off() ? 0 : limit.per().toNanos() / (double) limit.requests();
    }

    public Limit limit() {
        return limit;
    }

    /** Takes a token for {@code key} when there is one. */
    public synchronized Decision acquire(K key) {
        return decide(key, true);
    }

    /** Whether {@link #acquire} would admit {@code key} now, without taking anything. */
    public synchronized Decision peek(K key) {
        return decide(key, false);
    }

    /** How many keys are tracked now (for tests and metrics). */
    public synchronized int tracked() {
        return buckets.size();
    }

    private Decision decide(K key, boolean take) {
        if (limit.off()) {
            return Decision.ADMITTED;
        }
        long now = nanos();
        Bucket bucket = buckets.get(key);
        double tokens = bucket == null ? limit.requests() : refilled(bucket, now);
        if (tokens < 1) {
            return new Decision(false, Duration.ofNanos((long) Math.ceil((1 - tokens) * nanosPerToken)));
        }
        if (take) {
            if (bucket == null) {
                bucket = new Bucket();
                makeRoom(now);
                buckets.put(key, bucket);
            }
            bucket.tokens = tokens - 1;
            bucket.updatedNanos = now;
        }
        return Decision.ADMITTED;
    }

    private double refilled(Bucket bucket, long now) {
        double elapsed = Math.max(0, now - bucket.updatedNanos);
        return Math.min(limit.requests(), bucket.tokens + elapsed / nanosPerToken);
    }

    /** Drops buckets that are full again, then, when still at the cap, the least recently used. */
    private void makeRoom(long now) {
        if (buckets.size() < maxKeys) {
            return;
        }
        for (Iterator<Map.Entry<K, Bucket>> it = buckets.entrySet().iterator(); it.hasNext(); ) {
            if (refilled(it.next().getValue(), now) >= limit.requests()) {
                it.remove();
            }
        }
        if (buckets.size() >= maxKeys) {
            Iterator<K> eldest = buckets.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    private long nanos() {
        var instant = clock.instant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
