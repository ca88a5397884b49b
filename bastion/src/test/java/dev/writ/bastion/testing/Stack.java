package dev.writ.bastion.testing;

import dev.writ.bastion.observe.SessionRecorder;
import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestIdp;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole system on loopback, for tests and benchmarks: an OIDC issuer, the CA (with the
 * bastion registered), target sshd {@code web01} (and more on request), and the bastion routing
 * to them. {@code policy} is a format string whose {@code %1$s} is the login sshd accepts.
 */
public final class Stack implements AutoCloseable {

    public static final String LOGIN = Sshd.currentUser();

    public final TestIdp idp;
    public final TestCa ca;
    public final List<Sshd> targets;
    public final RunningBastion bastion;
    private final Path dir;

    private Stack(Path dir, TestIdp idp, TestCa ca, List<Sshd> targets, RunningBastion bastion) {
        this.dir = dir;
        this.idp = idp;
        this.ca = ca;
        this.targets = targets;
        this.bastion = bastion;
    }

    /**
     * @param targetNames   targets to start (each a real sshd), configured at the bastion with label env=dev
     * @param sshdOptions   extra sshd_config lines for every target
     * @param bastionExtra  extra bastion config keys (krl:, max_sessions_per_identity:, ...)
     */
    public static Stack start(Path dir, String policy, List<String> targetNames, List<String> sshdOptions, String bastionExtra,
                              SessionRecorder recorder) throws Exception {
        return start(dir, policy, targetNames, sshdOptions, bastionExtra, recorder, "");
    }

    /** As above, with {@code caExtra} (top-level keys such as {@link TestCa#DIRECT_ACCESS}) in the CA's config. */
    public static Stack start(Path dir, String policy, List<String> targetNames, List<String> sshdOptions, String bastionExtra,
                              SessionRecorder recorder, String caExtra) throws Exception {
        TestIdp idp = new TestIdp();
        String bastionKey = RunningBastion.generateKey(dir.resolve("bastion"));
        TestCa ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), policy.formatted(LOGIN), Clock.systemUTC(),
                RunningBastion.registration(bastionKey, List.of("127.0.0.1", "localhost", "web*", "db*")) + caExtra);
        List<Sshd> targets = new ArrayList<>();
        StringBuilder config = new StringBuilder("targets:\n");
        for (String name : targetNames) {
            Sshd sshd = Target.start(dir.resolve(name), ca, name, sshdOptions.toArray(String[]::new));
            targets.add(sshd);
            config.append("  - name: ").append(name).append("\n    address: 127.0.0.1:").append(sshd.port())
                    .append("\n    labels: { env: dev }\n");
        }
        RunningBastion bastion = RunningBastion.start(dir.resolve("bastion"), ca.url(), config + bastionExtra,
                Clock.systemUTC(), recorder);
        return new Stack(dir, idp, ca, targets, bastion);
    }

    public Sshd target(int index) {
        return targets.get(index);
    }

    /** An engineer logged in through the CA with these groups. */
    public Engineer engineer(String name, List<String> groups, String requestExtras) throws Exception {
        return Engineer.login(dir.resolve("engineer-" + name + "-" + System.nanoTime()), ca,
                idp.idToken(name + "@example.com", groups), requestExtras);
    }

    /** Rows matching a query on the CA's database (audit_events, certificates, ...). */
    public long count(String sql) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Revokes a certificate by serial, as the CA's revocation endpoint will. */
    public void revokeSerial(long serial) throws Exception {
        try (Connection c = ca.sql(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO revocations (serial, reason, revoked_by, revoked_at) VALUES (" + serial
                    + ", 'test', 'test', " + System.currentTimeMillis() + ")");
        }
    }

    /** The serial of an engineer's certificate (ssh-keygen -L). */
    public static long serialOf(Engineer engineer) throws Exception {
        Processes.Result listing = Processes.run(List.of("ssh-keygen", "-L", "-f", engineer.certificate().toString()));
        for (String line : listing.output().split("\n")) {
            if (line.strip().startsWith("Serial:")) {
                return Long.parseUnsignedLong(line.strip().substring("Serial:".length()).strip());
            }
        }
        throw new IllegalStateException("no serial in " + listing.output());
    }

    @Override
    public void close() {
        if (bastion != null) {
            bastion.close();
        }
        targets.forEach(Sshd::close);
        ca.close();
        idp.close();
    }
}
