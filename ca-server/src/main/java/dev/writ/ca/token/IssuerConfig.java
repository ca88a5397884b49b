package dev.writ.ca.token;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One OpenID Connect issuer the CA trusts, and the audience its ID tokens must name.
 *
 * @param url the issuer identifier, spelled exactly as in the tokens' {@code iss} claim and in the
 *     {@code issuer} of its discovery document (no trailing-slash tolerance). {@code https}, or
 *     {@code http} only on a loopback address ({@code 127.0.0.0/8}, {@code ::1}, {@code
 *     localhost}) for tests and local development.
 * @param audience our client id: it must be in {@code aud}, and equal {@code azp} when {@code aud}
 *     has several values
 */
public record IssuerConfig(URI url, String audience) {

  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  public IssuerConfig {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(audience, "audience");
    requireSecureTransport(url, "issuer url");
    if (url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new IllegalArgumentException("issuer url must have no query or fragment: " + url);
    }
    if (audience.isBlank()) {
      throw new IllegalArgumentException("audience must not be blank");
    }
  }

  /** The issuer identifier that {@code iss} and the discovery document must equal exactly. */
  public String issuer() {
    return url.toString();
  }

  /**
   * Refuses anything but an absolute {@code https} URL, or {@code http} on a loopback address:
   * keys and discovery documents fetched in clear text from the network could be swapped.
   */
  public static void requireSecureTransport(URI uri, String what) {
    if (!uri.isAbsolute() || uri.isOpaque() || uri.getHost() == null) {
      throw new IllegalArgumentException(what + " must be an absolute http(s) URL: " + uri);
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(what + " must not carry user info: " + uri);
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("https")) {
      return;
    }
    if (scheme.equals("http") && isLoopback(uri.getHost())) {
      return;
    }
    throw new IllegalArgumentException(
        what + " must use https (http only on a loopback address): " + uri);
  }

  /** True for "localhost" and loopback IP literals. Never resolves a name through DNS. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) {
      return true;
    }
    Matcher ipv4 = IPV4.matcher(h);
    if (ipv4.matches()) {
      for (int i = 1; i <= 4; i++) {
        if (Integer.parseInt(ipv4.group(i)) > 255) {
          return false;
        }
      }
      return Integer.parseInt(ipv4.group(1)) == 127;
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.indexOf(':') < 0) {
      return false; // a host name other than localhost: we do not trust DNS to say "loopback"
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress(); // an IPv6 literal: parsed, not resolved
    } catch (UnknownHostException notALiteral) {
      return false;
    }
  }
}
