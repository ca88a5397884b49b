package dev.writ.ca.sign;

import dev.writ.ca.keys.CaKey;
import dev.writ.ca.keys.CaKeyRing;
import java.security.KeyPair;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/**
 * Signs with MINA's {@link OpenSshCertificateBuilder}: engineers' certificates with the user CA,
 * the bastion's session certificates with the session CA, host certificates with the host CA.
 */
public final class OpenSshCertificateSigner implements CertificateSigner {

    private final CaKeyRing keys;

    public OpenSshCertificateSigner(CaKeyRing keys) {
        this.keys = keys;
    }

    @Override
    public SignedCertificate sign(CertificateRequest request) throws SigningException {
        CaKey ca = switch (request.kind()) {
            case USER -> keys.user();
            case SESSION -> keys.session();
            case HOST -> keys.host();
        };
        OpenSshCertificateBuilder builder = request.kind() == CertificateRequest.Kind.HOST
                ? OpenSshCertificateBuilder.hostCertificate()
                : OpenSshCertificateBuilder.userCertificate();
        builder.publicKey(request.publicKey())
                .serial(request.serial())
                .id(request.keyId())
                .principals(request.principals())
                .validAfter(request.validAfter())
                .validBefore(request.validBefore())
                .criticalOptions(request.criticalOptions())
                .extensions(request.extensions());
        try {
            KeyPair signing = ca.signingKeyPair();
            OpenSshCertificate certificate = builder.sign(signing, signatureAlgorithm(signing));
            return new SignedCertificate(certificate, PublicKeyEntry.toString(certificate));
        } catch (Exception e) {
            throw new SigningException("signing failed", e);
        }
    }

    /** RSA CAs sign with rsa-sha2-512, never the SHA-1 ssh-rsa; other key types have one algorithm. */
    private static String signatureAlgorithm(KeyPair signing) {
        String type = KeyUtils.getKeyType(signing);
        return KeyPairProvider.SSH_RSA.equals(type) ? KeyUtils.RSA_SHA512_KEY_TYPE_ALIAS : type;
    }
}
