'use strict';
/*
 * Sign-in at the CA's OIDC provider from the browser: authorization code with PKCE (S256), as a
 * public client, redirecting back to this page. The ID token is kept in sessionStorage (gone
 * with the tab) and sent as a Bearer token to the CA's JSON APIs, which verify it on every call.
 * No refresh token is asked for: when the ID token expires, the user signs in again.
 */
const WritOidc = (() => {
  const TOKEN = 'writ.id_token';
  const PENDING = 'writ.sign_in';

  const base64url = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const random = n => base64url(crypto.getRandomValues(new Uint8Array(n)));
  const redirectUri = () => location.origin + location.pathname;

  function claimsOf(jwt) {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const text = new TextDecoder().decode(Uint8Array.from(atob(payload), c => c.charCodeAt(0)));
    return JSON.parse(text);
  }

  async function json(url, options) {
    const response = await fetch(url, options);
    if (!response.ok) {
      throw new Error(url.split('?')[0] + ' answered HTTP ' + response.status);
    }
    return response.json();
  }

  /** Goes to the provider's login; comes back to this page with ?code=&state=. */
  async function signIn() {
    const config = await json('../v1/login-config');
    const provider = await json(config.issuer + '/.well-known/openid-configuration');
    const verifier = random(32);
    const pending = {
      verifier, state: random(16), nonce: random(16), issuer: config.issuer, client_id: config.client_id,
      token_endpoint: provider.token_endpoint, back: location.hash,
    };
    sessionStorage.setItem(PENDING, JSON.stringify(pending));
    const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const url = new URL(provider.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: config.client_id, redirect_uri: redirectUri(),
      scope: config.scopes.filter(s => s !== 'offline_access').join(' '),
      state: pending.state, nonce: pending.nonce, code_challenge: challenge, code_challenge_method: 'S256',
    }).toString();
    location.assign(url.toString());
  }

  /** On the way back from the provider: trades the code for tokens. False when this is not a way back. */
  async function completeSignIn() {
    const answer = new URLSearchParams(location.search);
    if (!answer.has('code') && !answer.has('error')) {
      return false;
    }
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
    sessionStorage.removeItem(PENDING);
    history.replaceState(null, '', location.pathname + ((pending && pending.back) || ''));
    if (answer.has('error')) {
      throw new Error('the identity provider refused the sign-in: ' + answer.get('error'));
    }
    if (!pending || answer.get('state') !== pending.state) {
      throw new Error('this sign-in answer was not asked for by this tab (state mismatch); sign in again');
    }
    const tokens = await json(pending.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: answer.get('code'), redirect_uri: redirectUri(),
        client_id: pending.client_id, code_verifier: pending.verifier,
      }),
    });
    const claims = claimsOf(tokens.id_token);
    if (claims.nonce !== pending.nonce || claims.iss !== pending.issuer) {
      throw new Error('the ID token is not the answer to this sign-in (nonce or issuer mismatch)');
    }
    sessionStorage.setItem(TOKEN, tokens.id_token);
    return true;
  }

  /** The ID token while it has half a minute left, else null. */
  function token() {
    const jwt = sessionStorage.getItem(TOKEN);
    if (jwt && claimsOf(jwt).exp * 1000 > Date.now() + 30000) {
      return jwt;
    }
    sessionStorage.removeItem(TOKEN);
    return null;
  }

  function identity() {
    const jwt = token();
    if (!jwt) {
      return null;
    }
    const claims = claimsOf(jwt);
    return claims.email || claims.preferred_username || claims.sub;
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN);
  }

  return { signIn, completeSignIn, token, identity, signOut };
})();
