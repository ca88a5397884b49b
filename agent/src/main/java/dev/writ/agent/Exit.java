package dev.writ.agent;

/**
 * The exit codes of {@code writ}: one per kind of fault, so that scripts can tell them apart.
 * agent/README.md has the same table; {@code ExitCodesTest} keeps them distinct.
 */
public enum Exit {
    OK(0, "success"),
    UNEXPECTED(1, "unexpected error; run again with --debug for the stack trace"),
    USAGE(2, "bad command line (unknown option, missing argument)"),
    NOT_CONFIGURED(3, "no client config, or a broken one: run writ configure --ca URL"),
    NOT_LOGGED_IN(4, "no tokens: run writ login"),
    LOGIN_FAILED(5, "the identity provider refused or broke the login (access denied, state or nonce mismatch, bad ID token)"),
    LOGIN_TIMED_OUT(6, "the login was not finished in time (device code expired, no browser redirect)"),
    LOGIN_EXPIRED(7, "the refresh token expired or was revoked: run writ login"),
    TOKEN_FILE_CORRUPT(8, "the token file cannot be parsed"),
    TOKEN_FILE_INSECURE(9, "the token file is readable or writable by others, or not ours"),
    CA_UNREACHABLE(10, "the CA cannot be reached (connection, DNS, TLS, timeout)"),
    CA_REFUSED(11, "the CA answered with an error (its detail is printed)"),
    IDP_UNREACHABLE(12, "the identity provider cannot be reached"),
    CLOCK_SKEW(13, "the local clock is more than 2 minutes off the CA's"),
    AGENT_UNAVAILABLE(14, "the agent socket cannot be served (another writ agent runs there, path too long)"),
    LOCAL_FILES(15, "a local file or directory cannot be read or written"),
    AUDIT_BROKEN(16, "the audit log's hash chain is broken: writ audit verify names the first broken event"),
    VERIFICATION_FAILED(17, "a recording failed verification: its file does not match the digest its bastion signed, or the signature does not verify"),
    NOT_A_WRIT_CA(18, "the URL given to writ configure --ca answers, but not as a writ CA (it names what answered)"),
    BUNDLE_UNREADABLE(19, "the file given to writ audit verify --bundle is not a whole evidence bundle (not one, cut short, or malformed)");

    private final int code;
    private final String meaning;

    Exit(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }
}
