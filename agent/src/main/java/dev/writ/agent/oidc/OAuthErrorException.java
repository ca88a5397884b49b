package dev.writ.agent.oidc;

/** The token endpoint answered with an OAuth error ({@code invalid_grant}, {@code authorization_pending}, ...). */
public final class OAuthErrorException extends Exception {

    private final String error;
    private final String description;

    public OAuthErrorException(String error, String description) {
        super(error + (description == null || description.isBlank() ? "" : " (" + description + ")"));
        this.error = error;
        this.description = description;
    }

    public String error() {
        return error;
    }

    public String description() {
        return description;
    }
}
