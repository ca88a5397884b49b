package dev.writ.ca.token;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a verified ID token proved. Everything here is trusted; the raw token is not kept.
 *
 * @param issuer the issuer URL, equal to the configured {@link IssuerConfig#issuer()}
 * @param subject the {@code sub} claim
 * @param claims every claim of the token as JSON values: {@code String}, {@code Boolean}, {@code
 *     Long} or {@code Double}, {@code List}, {@code Map}. {@code exp}, {@code iat} and {@code nbf}
 *     are epoch seconds ({@code Long}); {@code aud} is a {@code String} or a {@code List<String>}
 *     as the issuer sent it. Deeply unmodifiable.
 * @param expiresAt the {@code exp} claim
 */
public record VerifiedToken(
    String issuer, String subject, Map<String, Object> claims, Instant expiresAt) {

  public VerifiedToken {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(expiresAt, "expiresAt");
    claims = unmodifiableMap(Objects.requireNonNull(claims, "claims"));
  }

  /** Names the claims but prints none of their values (they can hold personal data). */
  @Override
  public String toString() {
    return "VerifiedToken[issuer="
        + issuer
        + ", subject="
        + subject
        + ", expiresAt="
        + expiresAt
        + ", claims="
        + claims.keySet()
        + "]";
  }

  private static Map<String, Object> unmodifiableMap(Map<?, ?> map) {
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((name, value) -> copy.put(String.valueOf(name), unmodifiable(value)));
    return Collections.unmodifiableMap(copy);
  }

  private static Object unmodifiable(Object value) {
    if (value instanceof Map<?, ?> map) {
      return unmodifiableMap(map);
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(element -> copy.add(unmodifiable(element)));
      return Collections.unmodifiableList(copy);
    }
    return value;
  }
}
