package dev.writ.ca.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TokenVerifier} against identity providers that run for real on loopback ports (see
 * {@link LocalIssuer}): every rule of "Security invariants / Tokens" in DESIGN.md, each asserting
 * the exact rejection reason.
 */
class TokenVerifierTest {

  private static LocalIssuer idp;
  private static LocalIssuer otherIdp;

  @BeforeAll
  static void startIssuers() {
    idp = LocalIssuer.start();
    otherIdp = LocalIssuer.start();
  }

  @AfterAll
  static void stopIssuers() {
    idp.close();
    otherIdp.close();
  }

  private static TokenVerifier verifierFor(LocalIssuer issuer) {
    return new TokenVerifier(List.of(issuer.config("writ")), Clock.systemUTC());
  }

  private static String rejectionOf(TokenVerifier verifier, String token) {
    return assertThrows(TokenRejectedException.class, () -> verifier.verify(token)).getMessage();
  }

  @Nested
  class AcceptedTokens {

    @Test
    void acceptsAValidTokenAndHandsOverItsClaims() throws Exception {
      Instant issuedAt = Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.SECONDS);
      JWTClaimsSet claims =
          idp.claims(issuedAt)
              .claim("email", "alice@example.com")
              .claim("groups", List.of("oncall", "sre"))
              .claim("email_verified", true)
              .build();

      VerifiedToken token = verifierFor(idp).verify(idp.sign(claims));

      assertEquals(idp.url(), token.issuer());
      assertEquals("alice", token.subject());
      assertEquals(claims.getExpirationTime().toInstant(), token.expiresAt());
      assertEquals("alice@example.com", token.claims().get("email"));
      assertEquals(List.of("oncall", "sre"), token.claims().get("groups"));
      assertEquals(true, token.claims().get("email_verified"));
      assertEquals(claims.getExpirationTime().getTime() / 1000, token.claims().get("exp"));
      assertEquals("writ", token.claims().get("aud"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"})
    void acceptsEveryAllowListedAlgorithm(String alg) throws Exception {
      String token = idp.sign(JWSAlgorithm.parse(alg), idp.claims().build());

      assertEquals("alice", verifierFor(idp).verify(token).subject());
    }

    @Test
    void acceptsSeveralAudiencesWhenTheAuthorizedPartyIsUs() throws Exception {
      JWTClaimsSet claims = idp.claims().audience(List.of("writ", "grafana")).claim("azp", "writ").build();

      assertEquals("alice", verifierFor(idp).verify(idp.sign(claims)).subject());
    }

    @Test
    void acceptsTokensOfSeveralIssuersEachWithItsOwnAudience() throws Exception {
      TokenVerifier verifier =
          new TokenVerifier(List.of(idp.config("writ"), otherIdp.config("writ-ci")), Clock.systemUTC());
      String fromFirst = idp.sign(idp.claims().build());
      String fromSecond = otherIdp.sign(otherIdp.claims().subject("ci-runner").audience("writ-ci").build());
      String secondWithFirstsAudience = otherIdp.sign(otherIdp.claims().build());

      assertEquals(idp.url(), verifier.verify(fromFirst).issuer());
      assertEquals(otherIdp.url(), verifier.verify(fromSecond).issuer());
      assertEquals("audience mismatch", rejectionOf(verifier, secondWithFirstsAudience));
    }

    @Test
    void makesNoNetworkCallOnceTheKeysAreCached() throws Exception {
      try (LocalIssuer fresh = LocalIssuer.start()) {
        TokenVerifier verifier = verifierFor(fresh);
        String token = fresh.sign(fresh.claims().build());

        for (int i = 0; i < 200; i++) {
          verifier.verify(token);
        }

        assertEquals(1, fresh.discoveryRequests());
        assertEquals(1, fresh.jwksRequests());
      }
    }

    @Test
    void verifiesFromManyThreadsAtOnce() throws Exception {
      try (LocalIssuer fresh = LocalIssuer.start()) {
        TokenVerifier verifier = verifierFor(fresh);
        List<String> tokens = new ArrayList<>();
        for (String alg : List.of("RS256", "ES256", "EdDSA", "PS256")) {
          tokens.add(fresh.sign(JWSAlgorithm.parse(alg), fresh.claims().build()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
          List<Future<Integer>> results = new ArrayList<>();
          for (int t = 0; t < 8; t++) {
            results.add(
                pool.submit(
                    () -> {
                      int verified = 0;
                      for (int i = 0; i < 100; i++) {
                        verifier.verify(tokens.get(i % tokens.size()));
                        verified++;
                      }
                      return verified;
                    }));
          }
          for (Future<Integer> result : results) {
            assertEquals(100, result.get());
          }
        } finally {
          pool.shutdownNow();
        }
        assertEquals(1, fresh.discoveryRequests());
        assertEquals(1, fresh.jwksRequests());
      }
    }

    @Test
    void handsOverClaimsThatCannotBeChangedAndPrintsNoneOfTheirValues() throws Exception {
      String token = idp.sign(idp.claims().claim("groups", List.of("sre")).claim("email", "alice@example.com").build());

      VerifiedToken verified = verifierFor(idp).verify(token);

      assertThrows(UnsupportedOperationException.class, () -> verified.claims().put("sub", "root"));
      @SuppressWarnings("unchecked")
      List<Object> groups = (List<Object>) verified.claims().get("groups");
      assertThrows(UnsupportedOperationException.class, () -> groups.add("admin"));
      assertFalse(verified.toString().contains(token));
      assertFalse(verified.toString().contains("alice@example.com"));
    }
  }

  @Nested
  class Algorithms {

    @Test
    void rejectsAnUnsecuredToken() {
      String token = TestTokens.unsecured(idp.claims().build());

      assertEquals("algorithm not allowed", rejectionOf(verifierFor(idp), token));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HS256", "HS384", "HS512"})
    void rejectsHmacKeyedWithTheIssuersPublicKeyFromItsJwks(String alg) throws Exception {
      JWKSet published = JWKSet.load(URI.create(idp.url() + "/jwks").toURL());
      RSAKey publicKey = (RSAKey) published.getKeyByKeyId(LocalIssuer.RSA_KID);
      byte[] secret = publicKey.toRSAPublicKey().getEncoded();
      String token = TestTokens.hmac(JWSAlgorithm.parse(alg), LocalIssuer.RSA_KID, idp.claims().build(), secret);

      assertEquals("algorithm not allowed", rejectionOf(verifierFor(idp), token));
    }

    @Test
    void rejectsAnAlgorithmOutsideTheAllowList() {
      ECKey p521 = TestTokens.freshEcKey(Curve.P_521, "ec-521");
      String token = TestTokens.sign(TestTokens.header(JWSAlgorithm.ES512, "ec-521").build(), idp.claims().build(), p521);

      assertEquals("algorithm not allowed", rejectionOf(verifierFor(idp), token));
    }

    @Test
    void rejectsAnEncryptedToken() throws Exception {
      EncryptedJWT jwe =
          new EncryptedJWT(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A128GCM), idp.claims().build());
      jwe.encrypt(new RSAEncrypter(idp.rsaKey().toRSAPublicKey()));

      assertEquals("algorithm not allowed", rejectionOf(verifierFor(idp), jwe.serialize()));
    }
  }

  @Nested
  class Issuers {

    @Test
    void rejectsATokenFromAnIssuerThatIsNotConfigured() {
      String token = otherIdp.sign(otherIdp.claims().build());

      assertEquals("unknown issuer", rejectionOf(verifierFor(idp), token));
    }

    @Test
    void rejectsAnIssuerThatDiffersOnlyByATrailingSlash() {
      TokenVerifier verifier =
          new TokenVerifier(List.of(new IssuerConfig(URI.create(idp.url() + "/"), "writ")), Clock.systemUTC());
      String token = idp.sign(idp.claims().build());

      assertEquals("unknown issuer", rejectionOf(verifier, token));
    }

    @Test
    void rejectsATokenWithoutIssuer() {
      String token = idp.sign(idp.claims().issuer(null).build());

      assertEquals("unknown issuer", rejectionOf(verifierFor(idp), token));
    }

    @Test
    void rejectsATokenOfTheSecondIssuerThatClaimsToComeFromTheFirst() {
      TokenVerifier verifier =
          new TokenVerifier(List.of(idp.config("writ"), otherIdp.config("writ")), Clock.systemUTC());
      String token = otherIdp.sign(idp.claims().build()); // iss = first, signed by second, same kid

      assertEquals("signature invalid", rejectionOf(verifier, token));
    }

    @Test
    void rejectsWhenTheDiscoveryDocumentNamesAnotherIssuer() {
      try (LocalIssuer impostor = LocalIssuer.start()) {
        impostor.advertiseIssuer("https://accounts.example.com");
        String token = impostor.sign(impostor.claims().build());

        assertEquals("issuer unavailable", rejectionOf(verifierFor(impostor), token));
        assertEquals(0, impostor.jwksRequests());
      }
    }

    @Test
    void refusesAKeySetOfferedOverPlainHttpFromAnotherHost() {
      try (LocalIssuer careless = LocalIssuer.start()) {
        careless.advertiseJwksUri("http://keys.example.com/jwks");
        String token = careless.sign(careless.claims().build());

        assertEquals("issuer unavailable", rejectionOf(verifierFor(careless), token));
      }
    }

    @Test
    void aCachedTokenIsRefusedOnceItExpires() throws Exception {
      MutableClock clock = new MutableClock(Instant.now());
      TokenVerifier verifier = new TokenVerifier(List.of(idp.config("writ")), clock);
      String token = idp.sign(idp.claims().expirationTime(Date.from(clock.instant().plusSeconds(30))).build());

      assertEquals("alice", verifier.verify(token).subject());
      assertEquals("alice", verifier.verify(token).subject());
      clock.advance(Duration.ofSeconds(120)); // past exp and past the 60 s skew
      assertEquals("token expired", rejectionOf(verifier, token));
    }

    @Test
    void rejectsWhileTheIssuerIsDownThenAcceptsOnceItIsBack() throws Exception {
      int port;
      try (ServerSocket probe = new ServerSocket(0)) {
        port = probe.getLocalPort(); // free now; nothing listens there until we start the issuer
      }
      String url = "http://127.0.0.1:" + port;
      MutableClock clock = new MutableClock(Instant.now());
      TokenVerifier verifier = new TokenVerifier(List.of(new IssuerConfig(URI.create(url), "writ")), clock);
      String tokenWhileDown = TestTokens.sign(
          TestTokens.header(JWSAlgorithm.RS256, "rsa-1").build(),
          new JWTClaimsSet.Builder().issuer(url).subject("alice").audience("writ")
              .expirationTime(Date.from(Instant.now().plusSeconds(600))).build(),
          TestTokens.freshRsaKey("rsa-1"));

      assertEquals("issuer unavailable", rejectionOf(verifier, tokenWhileDown));

      try (LocalIssuer back = LocalIssuer.startOn(port)) {
        String token = back.sign(back.claims().build());

        // Right after a failure, tokens are refused without touching the network ...
        assertEquals("issuer unavailable", rejectionOf(verifier, token));
        assertEquals(0, back.discoveryRequests());
        // ... and a few seconds later the next token tries again.
        clock.advance(Duration.ofSeconds(5));
        assertEquals("alice", verifier.verify(token).subject());
        assertEquals(1, back.discoveryRequests());
      }
    }
  }

  @Nested
  class Keys {

    @Test
    void rejectsATokenSignedWithAnUnknownKey() {
      RSAKey stranger = TestTokens.freshRsaKey();
      String token = TestTokens.sign(TestTokens.header(JWSAlgorithm.RS256, stranger.getKeyID()).build(), idp.claims().build(), stranger);

      assertEquals("unknown signing key", rejectionOf(verifierFor(idp), token));
    }

    @Test
    void refetchesTheKeySetOnlyOnceForAFloodOfUnknownKeys() throws Exception {
      try (LocalIssuer fresh = LocalIssuer.start()) {
        TokenVerifier verifier = verifierFor(fresh);
        verifier.verify(fresh.sign(fresh.claims().build()));
        assertEquals(1, fresh.jwksRequests());

        for (int i = 0; i < 20; i++) {
          RSAKey stranger = TestTokens.freshRsaKey();
          String token = TestTokens.sign(
              TestTokens.header(JWSAlgorithm.RS256, stranger.getKeyID()).build(), fresh.claims().build(), stranger);
          assertEquals("unknown signing key", rejectionOf(verifier, token));
        }

        assertEquals(2, fresh.jwksRequests());
      }
    }

    @Test
    void picksUpARotatedKeyWithoutRestart() throws Exception {
      try (LocalIssuer rotating = LocalIssuer.start()) {
        TokenVerifier verifier = verifierFor(rotating);
        verifier.verify(rotating.sign(rotating.claims().build()));
        RSAKey next = TestTokens.freshRsaKey("rsa-2");
        rotating.addKey(next);
        String token = TestTokens.sign(TestTokens.header(JWSAlgorithm.RS256, "rsa-2").build(), rotating.claims().build(), next);

        assertEquals("alice", verifier.verify(token).subject());
        assertEquals(2, rotating.jwksRequests());
      }
    }

    @Test
    void ignoresAJkuHeaderPointingAtAnotherKeySet() {
      try (LocalIssuer attacker = LocalIssuer.start()) {
        String token = TestTokens.sign(
            TestTokens.header(JWSAlgorithm.RS256, LocalIssuer.RSA_KID).jwkURL(URI.create(attacker.url() + "/jwks")).build(),
            idp.claims().build(),
            attacker.rsaKey());

        assertEquals("signature invalid", rejectionOf(verifierFor(idp), token));
        assertEquals(0, attacker.jwksRequests());
      }
    }

    @Test
    void ignoresAKeyEmbeddedInTheHeader() {
      RSAKey attacker = TestTokens.freshRsaKey(LocalIssuer.RSA_KID);
      String token = TestTokens.sign(
          TestTokens.header(JWSAlgorithm.RS256, LocalIssuer.RSA_KID).jwk(attacker.toPublicJWK()).build(),
          idp.claims().build(),
          attacker);

      assertEquals("signature invalid", rejectionOf(verifierFor(idp), token));
    }

    @Test
    void rejectsATamperedPayload() {
      String genuine = idp.sign(idp.claims().build());
      String tampered = TestTokens.withPayload(genuine, idp.claims().subject("root").build());

      assertEquals("signature invalid", rejectionOf(verifierFor(idp), tampered));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RS256", "ES256", "EdDSA"})
    void rejectsATamperedSignature(String alg) {
      String genuine = idp.sign(JWSAlgorithm.parse(alg), idp.claims().build());

      assertEquals("signature invalid", rejectionOf(verifierFor(idp), TestTokens.withFlippedSignatureChar(genuine)));
    }
  }

  @Nested
  class Claims {

    private final Instant now = Instant.parse("2030-01-15T10:00:00Z");
    private final TokenVerifier verifier =
        new TokenVerifier(List.of(idp.config("writ")), Clock.fixed(now, ZoneOffset.UTC));

    private JWTClaimsSet.Builder claims() {
      return idp.claims(now.minusSeconds(30));
    }

    private String expiredSecondsAgo(long seconds) {
      Instant exp = now.minusSeconds(seconds);
      return idp.sign(idp.claims(exp.minusSeconds(600)).expirationTime(Date.from(exp)).build());
    }

    @Test
    void rejectsAnotherAudience() {
      assertEquals("audience mismatch", rejectionOf(verifier, idp.sign(claims().audience("grafana").build())));
    }

    @Test
    void rejectsATokenWithoutAudience() {
      assertEquals("audience mismatch", rejectionOf(verifier, idp.sign(claims().audience((String) null).build())));
    }

    @Test
    void rejectsSeveralAudiencesWithoutAuthorizedParty() {
      String token = idp.sign(claims().audience(List.of("writ", "grafana")).build());

      assertEquals("authorized party mismatch", rejectionOf(verifier, token));
    }

    @Test
    void rejectsSeveralAudiencesWithAnotherAuthorizedParty() {
      String token = idp.sign(claims().audience(List.of("writ", "grafana")).claim("azp", "grafana").build());

      assertEquals("authorized party mismatch", rejectionOf(verifier, token));
    }

    @Test
    void acceptsATokenThatExpiredWithinTheSkew() throws Exception {
      assertEquals("alice", verifier.verify(expiredSecondsAgo(30)).subject());
    }

    @Test
    void rejectsATokenThatExpiredExactlyTheSkewAgo() {
      assertEquals("token expired", rejectionOf(verifier, expiredSecondsAgo(60)));
    }

    @Test
    void rejectsATokenThatExpiredBeyondTheSkew() {
      assertEquals("token expired", rejectionOf(verifier, expiredSecondsAgo(61)));
    }

    @Test
    void rejectsATokenWithoutExpiry() {
      assertEquals("missing exp claim", rejectionOf(verifier, idp.sign(claims().expirationTime(null).build())));
    }

    @Test
    void acceptsANotBeforeWithinTheSkew() throws Exception {
      String token = idp.sign(claims().notBeforeTime(Date.from(now.plusSeconds(30))).build());

      assertEquals("alice", verifier.verify(token).subject());
    }

    @Test
    void rejectsANotBeforeBeyondTheSkew() {
      String token = idp.sign(claims().notBeforeTime(Date.from(now.plusSeconds(61))).build());

      assertEquals("token not yet valid", rejectionOf(verifier, token));
    }

    @Test
    void rejectsATokenIssuedBeyondTheSkewInTheFuture() {
      String token = idp.sign(claims().issueTime(Date.from(now.plusSeconds(61))).build());

      assertEquals("token issued in the future", rejectionOf(verifier, token));
    }

    @Test
    void rejectsATokenWithoutSubject() {
      assertEquals("missing sub claim", rejectionOf(verifier, idp.sign(claims().subject(null).build())));
    }

    @Test
    void rejectsATokenTypedAsSomethingElseThanAJwt() {
      String token = idp.sign(
          TestTokens.header(JWSAlgorithm.RS256, LocalIssuer.RSA_KID).type(new JOSEObjectType("at+jwt")).build(),
          claims().build());

      assertEquals("token type not allowed", rejectionOf(verifier, token));
    }

    @Test
    void honoursAConfiguredSkew() throws Exception {
      TokenVerifier strict = new TokenVerifier(
          List.of(idp.config("writ")), Clock.fixed(now, ZoneOffset.UTC),
          Duration.ZERO, TokenVerifier.DEFAULT_JWKS_CACHE_TTL, TokenVerifier.DEFAULT_REFETCH_MIN_INTERVAL);

      assertEquals("token expired", rejectionOf(strict, expiredSecondsAgo(1)));
    }
  }

  @Nested
  class MalformedInput {

    static Stream<String> garbage() {
      return Stream.of(
          "",
          "a.b",
          "x.y.z",
          "junk ".repeat(2048), // 10 KB
          "Bearer " + "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
          "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", // payload is not JSON
          "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyfQ.c2ln", // iss is a number
          "x".repeat(TokenVerifier.MAX_TOKEN_CHARS + 1),
          "..",
          "....");
    }

    @ParameterizedTest
    @MethodSource("garbage")
    void rejectsGarbageAsMalformed(String garbage) {
      assertEquals("malformed token", rejectionOf(verifierFor(idp), garbage));
    }

    @Test
    void rejectsNullAsMalformed() {
      assertEquals("malformed token", rejectionOf(verifierFor(idp), null));
    }

    @Test
    void neverQuotesTheTokenInTheRejection() {
      String token = idp.sign(idp.claims().audience("grafana").build());

      TokenRejectedException e = assertThrows(TokenRejectedException.class, () -> verifierFor(idp).verify(token));

      assertFalse(e.getMessage().contains(token));
      assertEquals(0, e.getStackTrace().length);
      assertTrue(e.getCause() == null);
    }
  }

  @Test
  void claimsAreJsonValues() throws Exception {
    VerifiedToken token = verifierFor(idp).verify(idp.sign(idp.claims().claim("level", 3).build()));

    assertEquals(3L, token.claims().get("level"));
    assertTrue(token.claims().get("iat") instanceof Long);
  }
}
