package dev.writ.policy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a verified token proved: its issuer and every claim. Built by the caller only after the
 * token's signature, issuer, audience and times were checked; policy evaluation trusts it.
 *
 * @param email  the {@code email} claim, or null when the token has none (or says it is not verified)
 * @param groups the {@code groups} claim, empty when absent
 * @param claims every claim of the token; values are String, Number, Boolean, List or Map
 */
public record Identity(String issuer, String subject, String email, List<String> groups, Map<String, Object> claims) {

    public Identity {
        requireText(issuer, "issuer");
        requireText(subject, "subject");
        if (email != null && email.isBlank()) {
            email = null;
        }
        groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
        claims = immutableMap(Objects.requireNonNull(claims, "claims"));
    }

    /**
     * The identity of a verified token from its claims: {@code sub}, {@code email} and
     * {@code groups} (a list of strings or a single string; absent means no group). An email
     * whose {@code email_verified} claim is present and false is ignored, so that nobody matches
     * an email rule with an address they have not proven to own.
     */
    public static Identity fromClaims(String issuer, Map<String, Object> claims) {
        Objects.requireNonNull(claims, "claims");
        String subject = claims.get("sub") instanceof String s ? s : null;
        String email = claims.get("email") instanceof String e ? e : null;
        Object verified = claims.get("email_verified");
        if (Boolean.FALSE.equals(verified) || "false".equals(verified)) {
            email = null;
        }
        List<String> groups = new ArrayList<>();
        Object rawGroups = claims.get("groups");
        if (rawGroups instanceof String single) {
            groups.add(single);
        } else if (rawGroups instanceof List<?> list) {
            for (Object g : list) {
                if (g instanceof String s) {
                    groups.add(s);
                }
            }
        }
        return new Identity(issuer, subject, email, groups, claims);
    }

    /** The email when present, else the subject: what certificates carry as key id. */
    public String name() {
        return email != null ? email : subject;
    }

    /**
     * The claim's values as text, for matching and templates: a string or number gives one
     * value, a list gives its scalar elements; absent, null or a mapping gives none.
     */
    List<String> claimValues(String name) {
        Object value = claims.get(name);
        List<String> out = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object element : list) {
                String text = scalarText(element);
                if (text != null) {
                    out.add(text);
                }
            }
        } else {
            String text = scalarText(value);
            if (text != null) {
                out.add(text);
            }
        }
        return out;
    }

    /** Numbers compare by their plain decimal text: 42, 42L and 42.0 are all "42". */
    static String scalarText(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Boolean b) {
            return b.toString();
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger) {
            return value.toString();
        }
        if (value instanceof Number n) {
            try {
                return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException e) {
                return n.toString(); // NaN, Infinity
            }
        }
        return null;
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("identity needs a non-empty " + what);
        }
    }

    /** A deep, unmodifiable copy without null values. */
    private static Map<String, Object> immutableMap(Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            Object value = immutableValue(v);
            if (k != null && value != null) {
                copy.put(k.toString(), value);
            }
        });
        return Collections.unmodifiableMap(copy);
    }

    private static Object immutableValue(Object value) {
        if (value instanceof Map<?, ?> map) {
            return immutableMap(map);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            for (Object element : list) {
                Object e = immutableValue(element);
                if (e != null) {
                    copy.add(e);
                }
            }
            return List.copyOf(copy);
        }
        return value;
    }
}
