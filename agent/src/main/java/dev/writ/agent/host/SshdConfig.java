package dev.writ.agent.host;

/**
 * What {@code writ host sshd-config} prints: the {@code sshd_config} lines for the files that
 * bootstrap wrote, and, as comments, how to keep the revocation list and the certificate
 * current. The output can go straight into {@code /etc/ssh/sshd_config.d/writ.conf}.
 */
final class SshdConfig {

    private SshdConfig() {
    }

    static String render(HostFiles files, String caUrl) {
        String krl = files.revokedKeys().toString();
        boolean defaultDir = files.dir().equals(HostFiles.DEFAULT_DIR);
        String renew = "writ host renew" + (defaultDir ? "" : " --dir " + files.dir());
        // sshd loads its default host keys only while no HostKey line is given: naming the
        // ed25519 key in /etc/ssh would silently drop the RSA and ECDSA keys that clients know
        String hostKey = defaultDir
                ? "# HostKey " + files.key() + " is one of sshd's default host keys; name it only if sshd_config lists HostKey lines"
                : "HostKey " + files.key();
        return """
                # writ: sshd_config lines (e.g. writ host sshd-config > /etc/ssh/sshd_config.d/writ.conf),
                # then reload sshd: systemctl reload ssh
                %7$s
                HostCertificate %2$s
                # writ's session CA: only the bastion's one-session certificates log in
                TrustedUserCAKeys %3$s
                RevokedKeys %4$s

                # sshd refuses every public key while the RevokedKeys file is missing: create an empty one first
                #   ssh-keygen -k -f %4$s
                # and keep it current from the CA, e.g. every 5 minutes in /etc/cron.d/writ:
                #   */5 * * * * root curl -fsS --max-time 30 -o %4$s.tmp %5$s/v1/krl && mv %4$s.tmp %4$s
                # Renew the host certificate (it does nothing until a third of its lifetime is left);
                # sshd reads the certificate when it starts or reloads:
                #   17 * * * * root %6$s && systemctl reload ssh
                """.formatted(files.key(), files.certificate(), files.userCaKeys(), krl, caUrl, renew, hostKey);
    }
}
