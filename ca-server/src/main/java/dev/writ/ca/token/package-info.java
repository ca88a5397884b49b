/**
 * Verification of OpenID Connect ID tokens presented to the CA as bearer tokens.
 *
 * <p>{@link dev.writ.ca.token.TokenVerifier#verify(String)} is the only entry point. It reads
 * top to bottom:
 *
 * <ol>
 *   <li>parse the compact JWS, trusting nothing in it yet;
 *   <li>refuse any algorithm outside the allow-list (no {@code none}, no HMAC);
 *   <li>pick the configured issuer whose URL equals the unverified {@code iss} exactly;
 *   <li>verify the signature with that issuer's keys, which come only from the {@code jwks_uri}
 *       of its discovery document (never from {@code jku}, {@code x5u}, {@code jwk} or
 *       {@code x5c} in the token header);
 *   <li>check the claims: {@code iss}, {@code aud}/{@code azp}, {@code exp}, {@code nbf},
 *       {@code iat}, {@code sub}, against the injected clock.
 * </ol>
 *
 * <p>Every failure is a {@link dev.writ.ca.token.TokenRejectedException} whose message is a short
 * reason that is safe to show to the client. The token itself is never logged or kept.
 */
package dev.writ.ca.token;
