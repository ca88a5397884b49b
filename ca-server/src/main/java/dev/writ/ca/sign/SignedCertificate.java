package dev.writ.ca.sign;

import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * A signed certificate and its OpenSSH text form.
 *
 * @param certificate the parsed certificate
 * @param line        {@code ssh-ed25519-cert-v01@openssh.com AAAA...}, as written to {@code *-cert.pub}
 */
public record SignedCertificate(OpenSshCertificate certificate, String line) {
}
