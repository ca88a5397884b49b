package dev.writ.bastion.testing;

import dev.writ.ca.testing.Processes;
import dev.writ.ca.testing.Sshd;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import java.util.List;

/** A real OpenSSH sshd as a target: it trusts the CA's user key and presents a host certificate from the CA's host key. */
public final class Target {

    private Target() {
    }

    /**
     * Starts sshd in {@code dir} with a host certificate for {@code name} signed (by ssh-keygen)
     * with the test CA's host key, trusting the CA's user key, with extra sshd_config lines.
     */
    public static Sshd start(Path dir, TestCa ca, String name, String... options) throws Exception {
        // sshd generates no key: create it first, so that it can be certified before sshd starts
        Sshd.Builder builder = Sshd.in(dir);
        Path hostKey = dir.resolve("ssh_host_ed25519_key");
        Processes.Result keygen = Processes.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                "-f", hostKey.toString()));
        if (keygen.exitCode() != 0) {
            throw new IllegalStateException("ssh-keygen failed: " + keygen.output());
        }
        Processes.Result signed = Processes.run(List.of("ssh-keygen", "-q", "-s", ca.keys().resolve("host_ca").toString(),
                "-h", "-I", "host " + name, "-n", name, "-V", "-5m:+1d", hostKey + ".pub"));
        if (signed.exitCode() != 0) {
            throw new IllegalStateException("ssh-keygen -s failed: " + signed.output());
        }
        builder.trustedUserCaKeys(ca.get("/v1/ca/user.pub").body()).hostCertificate(Path.of(hostKey + "-cert.pub"));
        for (String option : options) {
            builder.option(option);
        }
        return builder.start();
    }
}
