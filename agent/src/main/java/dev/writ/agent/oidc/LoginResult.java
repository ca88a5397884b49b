package dev.writ.agent.oidc;

/** What a login produced: the checked ID token and, when the provider grants one, a refresh token. */
public record LoginResult(IdToken idToken, String refreshToken) {

    @Override
    public String toString() {
        return "LoginResult[" + idToken + ", refresh_token=" + (refreshToken == null ? "none" : "<redacted>") + "]";
    }
}
