package dev.writ.bastion.auth;

/** The outcome of checking a key offered at login. */
public sealed interface Verdict {

    record Accepted(Grant grant) implements Verdict {
    }

    /**
     * @param reason   snake_case, for the audit log and the metrics
     * @param message  short, for the engineer's terminal
     * @param detail   longer, for the audit log (never a key or secret)
     * @param identity the certificate's key id when there was a certificate, else null
     * @param serial   its serial (unsigned decimal), else null
     */
    record Refused(String reason, String message, String detail, String identity, String serial) implements Verdict {
    }
}
