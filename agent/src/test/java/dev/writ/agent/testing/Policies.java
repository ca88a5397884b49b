package dev.writ.agent.testing;

import dev.writ.ca.testing.Sshd;

/** The CA policy of the agent's tests: engineers get the login the tests run as, up to 8 hours. */
public final class Policies {

    public static final String LOGIN = Sshd.currentUser();

    public static final String ENGINEERS = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["%s", "{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
                extensions: [permit-pty]
            """.formatted(LOGIN);

    private Policies() {
    }
}
