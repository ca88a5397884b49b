package dev.writ.agent.sshagent;

import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * A user certificate from the CA, as the agent and {@code writ status} need it: the wire blob
 * (what agents list and ssh sends) and the fields read from it by MINA.
 *
 * @param roles the roles named by the CA's {@code roles@writ} extension
 */
public record Certificate(String type, byte[] blob, String keyId, String serial, List<String> principals,
                          List<String> roles, Instant validAfter, Instant validBefore, PublicKey certifiedKey) {

    public static final String ROLES_EXTENSION = "roles@writ";

    public Certificate {
        blob = blob.clone();
        principals = List.copyOf(principals);
        roles = List.copyOf(roles);
    }

    /** Reads one {@code ssh-ed25519-cert-v01@openssh.com AAAA...} line; only user certificates. */
    public static Certificate parse(String line) throws InvalidKeyException {
        PublicKey key = PublicKeys.parse(line);
        if (!(key instanceof OpenSshCertificate certificate)) {
            throw new InvalidKeyException("not a certificate");
        }
        if (certificate.getType() != OpenSshCertificate.Type.USER) {
            throw new InvalidKeyException("not a user certificate");
        }
        String[] fields = line.strip().split("\\s+");
        byte[] blob = Base64.getDecoder().decode(fields[1]);
        String roles = certificate.getExtensionsMap().get(ROLES_EXTENSION);
        return new Certificate(fields[0], blob, certificate.getId(), Long.toUnsignedString(certificate.getSerial()),
                List.copyOf(certificate.getPrincipals()),
                roles == null || roles.isBlank() ? List.of() : List.of(roles.split(",")),
                epoch(certificate.getValidAfter()), epoch(certificate.getValidBefore()), certificate.getCertPubKey());
    }

    /** Reads a certificate from its wire blob, as an agent lists it. */
    public static Certificate fromBlob(String type, byte[] blob) throws InvalidKeyException {
        return parse(type + " " + Base64.getEncoder().encodeToString(blob));
    }

    public byte[] blob() {
        return blob.clone();
    }

    /** The OpenSSH line, as in an {@code id_writ-cert.pub} file. */
    public String line() {
        return type + " " + Base64.getEncoder().encodeToString(blob);
    }

    public Duration remaining(Clock clock) {
        Duration left = Duration.between(clock.instant(), validBefore);
        return left.isNegative() ? Duration.ZERO : left;
    }

    public boolean sameBlob(byte[] other) {
        return Arrays.equals(blob, other);
    }

    /** OpenSSH's "forever" is the largest unsigned 64-bit number; Instant stops well before it. */
    private static Instant epoch(long seconds) {
        return seconds < 0 || seconds > Instant.MAX.getEpochSecond() ? Instant.MAX : Instant.ofEpochSecond(seconds);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Certificate that && Arrays.equals(blob, that.blob);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(blob);
    }

    @Override
    public String toString() {
        return "Certificate[serial " + serial + ", key id " + keyId + ", principals " + principals + ", valid before "
                + validBefore + "]";
    }
}
