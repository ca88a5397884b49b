package dev.writ.ca.token;

/** The client-safe rejection reasons, in one place so that they stay short and consistent. */
final class Reason {

  static final String MALFORMED = "malformed token";
  static final String ALGORITHM_NOT_ALLOWED = "algorithm not allowed";
  static final String TYPE_NOT_ALLOWED = "token type not allowed";
  static final String UNKNOWN_ISSUER = "unknown issuer";
  static final String ISSUER_UNAVAILABLE = "issuer unavailable";
  static final String UNKNOWN_SIGNING_KEY = "unknown signing key";
  static final String SIGNATURE_INVALID = "signature invalid";
  static final String AUDIENCE_MISMATCH = "audience mismatch";
  static final String AUTHORIZED_PARTY_MISMATCH = "authorized party mismatch";
  static final String MISSING_EXP = "missing exp claim";
  static final String EXPIRED = "token expired";
  static final String NOT_YET_VALID = "token not yet valid";
  static final String ISSUED_IN_FUTURE = "token issued in the future";
  static final String MISSING_SUB = "missing sub claim";

  private Reason() {}
}
