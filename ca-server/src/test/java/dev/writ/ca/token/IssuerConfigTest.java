package dev.writ.ca.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IssuerConfigTest {

  @Nested
  class Url {

    @ParameterizedTest
    @ValueSource(strings = {
        "https://accounts.example.com",
        "https://login.example.com/realms/corp/",
        "http://127.0.0.1:8080",
        "http://127.9.8.7/issuer",
        "http://localhost:9000/default",
        "http://LOCALHOST",
        "http://[::1]:9000"})
    void acceptsHttpsAnywhereAndHttpOnLoopback(String url) {
      assertEquals(url, new IssuerConfig(URI.create(url), "writ").issuer());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://accounts.example.com",
        "http://10.0.0.1",
        "http://128.0.0.1",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://127.0.0.256",
        "http://[::2]",
        "ftp://127.0.0.1",
        "file:///etc/issuer",
        "accounts.example.com",
        "https://user:pass@accounts.example.com",
        "https://accounts.example.com?tenant=1",
        "https://accounts.example.com#x"})
    void refusesAnythingElse(String url) {
      assertThrows(IllegalArgumentException.class, () -> new IssuerConfig(URI.create(url), "writ"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t"})
  void refusesABlankAudience(String audience) {
    assertThrows(
        IllegalArgumentException.class,
        () -> new IssuerConfig(URI.create("https://accounts.example.com"), audience));
  }

  @Nested
  class VerifierConstruction {

    private final IssuerConfig corp = new IssuerConfig(URI.create("https://accounts.example.com"), "writ");

    @Test
    void needsAtLeastOneIssuer() {
      assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(List.of(), Clock.systemUTC()));
    }

    @Test
    void refusesTheSameIssuerTwice() {
      IssuerConfig again = new IssuerConfig(corp.url(), "writ-ci");

      assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(List.of(corp, again), Clock.systemUTC()));
    }

    @Test
    void refusesASkewAboveFiveMinutes() {
      assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(
          List.of(corp), Clock.systemUTC(), Duration.ofMinutes(6), Duration.ofMinutes(5), Duration.ofSeconds(30)));
    }

    @Test
    void refusesACacheShorterThanTheRefetchInterval() {
      assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(
          List.of(corp), Clock.systemUTC(), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(30)));
    }

    @Test
    void touchesNoNetworkAtConstruction() {
      // The issuer does not exist; the CA must still start.
      IssuerConfig unreachable = new IssuerConfig(URI.create("https://idp.invalid"), "writ");

      new TokenVerifier(List.of(unreachable), Clock.systemUTC());
    }
  }
}
