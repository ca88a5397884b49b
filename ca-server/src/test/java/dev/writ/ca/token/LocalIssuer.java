package dev.writ.ca.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.writ.ca.token.TestTokens.Ed25519Key;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small OpenID Connect issuer on a loopback port, built on the JDK's HTTP server: it serves a
 * discovery document and a JWK set over real HTTP, counts the requests for each, and signs tokens
 * with its own keys (RSA, EC P-256 and P-384, Ed25519), like an identity provider would.
 */
final class LocalIssuer implements AutoCloseable {

  static final String RSA_KID = "rsa-1";

  private final HttpServer http;
  private final String url;
  private final RSAKey rsa = TestTokens.freshRsaKey(RSA_KID);
  private final ECKey ec256 = TestTokens.freshEcKey(Curve.P_256, "ec-256");
  private final ECKey ec384 = TestTokens.freshEcKey(Curve.P_384, "ec-384");
  private final Ed25519Key ed25519 = Ed25519Key.generate("ed-1");
  private final List<JWK> addedKeys = new CopyOnWriteArrayList<>();
  private final AtomicInteger discoveryRequests = new AtomicInteger();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private volatile String advertisedIssuer;
  private volatile String advertisedJwksUri;

  private LocalIssuer(HttpServer http) {
    this.http = http;
    this.url = "http://127.0.0.1:" + http.getAddress().getPort();
    http.createContext("/", this::handle);
    http.start();
  }

  static LocalIssuer start() {
    return startOn(0);
  }

  static LocalIssuer startOn(int port) {
    try {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      return new LocalIssuer(HttpServer.create(address, 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The issuer URL, e.g. {@code http://127.0.0.1:41234}, without a trailing slash. */
  String url() {
    return url;
  }

  IssuerConfig config(String audience) {
    return new IssuerConfig(URI.create(url), audience);
  }

  /** Claims of a valid ID token for audience "writ", issued now and valid for 10 minutes. */
  JWTClaimsSet.Builder claims() {
    return claims(Instant.now());
  }

  JWTClaimsSet.Builder claims(Instant issuedAt) {
    return new JWTClaimsSet.Builder()
        .issuer(url)
        .subject("alice")
        .audience("writ")
        .issueTime(Date.from(issuedAt))
        .expirationTime(Date.from(issuedAt.plus(Duration.ofMinutes(10))));
  }

  /** RS256 with the issuer's RSA key. */
  String sign(JWTClaimsSet claims) {
    return sign(JWSAlgorithm.RS256, claims);
  }

  /** Signs with the issuer's key for that algorithm, as its JWK set advertises it. */
  String sign(JWSAlgorithm alg, JWTClaimsSet claims) {
    if (JWSAlgorithm.EdDSA.equals(alg)) {
      return ed25519.sign(TestTokens.header(alg, ed25519.publicJwk().getKeyID()).build(), claims);
    }
    JWK key = JWSAlgorithm.Family.RSA.contains(alg) ? rsa : JWSAlgorithm.ES384.equals(alg) ? ec384 : ec256;
    return TestTokens.sign(TestTokens.header(alg, key.getKeyID()).build(), claims, key);
  }

  String sign(JWSHeader header, JWTClaimsSet claims) {
    return TestTokens.sign(header, claims, rsa);
  }

  RSAKey rsaKey() {
    return rsa;
  }

  /** Publishes one more key in the JWK set, as an issuer does when it rotates. */
  void addKey(JWK privateOrPublicKey) {
    addedKeys.add(privateOrPublicKey.toPublicJWK());
  }

  /** Makes the discovery document name another issuer. */
  void advertiseIssuer(String issuer) {
    this.advertisedIssuer = issuer;
  }

  void advertiseJwksUri(String jwksUri) {
    this.advertisedJwksUri = jwksUri;
  }

  int discoveryRequests() {
    return discoveryRequests.get();
  }

  int jwksRequests() {
    return jwksRequests.get();
  }

  @Override
  public void close() {
    http.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    if (path.equals("/.well-known/openid-configuration")) {
      discoveryRequests.incrementAndGet();
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("issuer", advertisedIssuer != null ? advertisedIssuer : url);
      document.put("jwks_uri", advertisedJwksUri != null ? advertisedJwksUri : url + "/jwks");
      document.put("id_token_signing_alg_values_supported", List.of("RS256", "ES256", "EdDSA"));
      respond(exchange, 200, JSONObjectUtils.toJSONString(document));
    } else if (path.equals("/jwks")) {
      jwksRequests.incrementAndGet();
      List<JWK> keys = new ArrayList<>(List.of(rsa, ec256, ec384));
      keys.add(ed25519.publicJwk());
      keys.addAll(addedKeys);
      respond(exchange, 200, new JWKSet(keys).toPublicJWKSet().toString());
    } else {
      respond(exchange, 404, "{}");
    }
  }

  private static void respond(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
