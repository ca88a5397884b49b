package dev.writ.ca.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers tokens that passed verification for a short while, so that a client asking for
 * several certificates with the same ID token pays for the signature check once. An entry is used
 * only while the token is unexpired (no skew allowance) and for at most {@link #MAX_AGE}; keys are
 * SHA-256 digests, so the cache never holds a bearer token.
 */
final class VerifiedTokenCache {

    static final Duration MAX_AGE = Duration.ofSeconds(60);
    static final int MAX_ENTRIES = 10_000;

    private record Entry(VerifiedToken token, Instant until) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final Clock clock;

    VerifiedTokenCache(Clock clock) {
        this.clock = clock;
    }

    VerifiedToken get(String digest) {
        Entry entry = entries.get(digest);
        if (entry == null) {
            return null;
        }
        if (!clock.instant().isBefore(entry.until())) {
            entries.remove(digest, entry);
            return null;
        }
        return entry.token();
    }

    void put(String digest, VerifiedToken token) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear(); // crude but bounded: the next requests simply verify again
        }
        Instant now = clock.instant();
        Instant until = now.plus(MAX_AGE);
        if (token.expiresAt().isBefore(until)) {
            until = token.expiresAt();
        }
        if (until.isAfter(now)) {
            entries.put(digest, new Entry(token, until));
        }
    }

    static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
