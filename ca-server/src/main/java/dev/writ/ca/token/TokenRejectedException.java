package dev.writ.ca.token;

/**
 * A bearer token was refused. The message is a short, fixed reason such as {@code "token expired"}
 * that is safe to show to the client; it never contains the token or any part of it.
 *
 * <p>No cause is attached and no stack trace is captured: rejections are expected client errors,
 * can arrive in floods, and a library's exception message could quote decoded token content.
 */
public final class TokenRejectedException extends Exception {

  private static final long serialVersionUID = 1L;

  public TokenRejectedException(String reason) {
    super(reason, null, false, false);
  }

  /** The short, client-safe reason; the same as {@link #getMessage()}. */
  public String reason() {
    return getMessage();
  }
}
