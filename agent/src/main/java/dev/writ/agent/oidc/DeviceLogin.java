package dev.writ.agent.oidc;

import dev.writ.agent.Durations;
import dev.writ.agent.Exit;
import dev.writ.agent.Sleeper;
import dev.writ.agent.WritException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The device authorization grant (RFC 8628) for machines without a browser: show the user a URL
 * and a code to type on another device, then poll the token endpoint at the provider's interval
 * until the login is approved, denied, or the code expires. Never longer than {@code timeout}.
 */
public final class DeviceLogin {

    /** RFC 8628 3.5: on {@code slow_down} the interval grows by 5 seconds, for this and later polls. */
    static final Duration SLOW_DOWN_STEP = Duration.ofSeconds(5);

    private final OidcClient oidc;
    private final PrintWriter out;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Duration timeout;

    public DeviceLogin(OidcClient oidc, PrintWriter out, Clock clock, Sleeper sleeper, Duration timeout) {
        this.oidc = oidc;
        this.out = out;
        this.clock = clock;
        this.sleeper = sleeper;
        this.timeout = timeout;
    }

    public LoginResult run() throws WritException, InterruptedException {
        DeviceAuthorization authorization = oidc.authorizeDevice();
        out.println("To log in, visit " + authorization.verificationUri() + " and enter the code " + authorization.userCode());
        if (authorization.verificationUriComplete() != null) {
            out.println("  (or open " + authorization.verificationUriComplete() + ")");
        }
        out.println("Waiting for the login to be approved...");
        out.flush();
        Instant expires = clock.instant().plusSeconds(authorization.expiresIn());
        Instant deadline = min(expires, clock.instant().plus(timeout));
        Duration interval = Duration.ofSeconds(authorization.interval());
        while (true) {
            sleeper.sleep(interval);
            if (clock.instant().isAfter(deadline)) {
                throw expired(deadline.equals(expires));
            }
            try {
                TokenResponse tokens = oidc.pollDevice(authorization.deviceCode());
                return new LoginResult(IdTokenCheck.verify(tokens.idToken(), oidc.config(), null, clock), tokens.refreshToken());
            } catch (OAuthErrorException e) {
                switch (e.error()) {
                    case "authorization_pending" -> {
                    }
                    case "slow_down" -> interval = interval.plus(SLOW_DOWN_STEP);
                    case "expired_token" -> throw expired(true);
                    case "access_denied" -> throw new WritException(Exit.LOGIN_FAILED,
                            "the login was denied at the identity provider (access_denied)");
                    default -> throw new WritException(Exit.LOGIN_FAILED,
                            "the identity provider refused the device login: " + e.getMessage(), e);
                }
            }
        }
    }

    private WritException expired(boolean codeExpired) {
        return new WritException(Exit.LOGIN_TIMED_OUT, codeExpired
                ? "the device code expired before the login was approved; run writ login --device again"
                : "the login was not approved within " + Durations.format(timeout) + "; run writ login --device again");
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
