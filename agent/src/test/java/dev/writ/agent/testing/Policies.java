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

    /**
     * Engineers, plus {@code prod-admin} on request: engineers ask with a reason for at most 2
     * hours, one SRE lead approves; the security group reads the audit log. As in
     * policies/examples.
     */
    public static final String ACCESS = ENGINEERS + """
              - name: prod-admin
                principals: [root]
                ttl: 30m
                max_ttl: 2h
                extensions: [permit-pty]
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [sre-leads] } }]
                  approvals: 1
                  max_duration: 2h
                  reason_required: true
                  pending_ttl: 1h
            auditors:
              - match: { groups: [security] }
            """;

    private Policies() {
    }
}
