package dev.writ.ca.sign;

import dev.writ.ca.keys.CaKey;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.keys.CaSigner;
import dev.writ.ca.keys.FileCaSigner;
import java.security.SecureRandom;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.OpenSshCertificateImpl;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Signs engineers' certificates with the user CA, the bastion's session certificates with the
 * session CA, host certificates with the host CA, whichever key of that CA signs at the moment.
 * A file key goes through MINA's {@link OpenSshCertificateBuilder}. A key in a PKCS#11 token
 * cannot: MINA signs only with a key it can hold, so the certificate's fields are encoded by
 * MINA's buffer as the builder encodes them, and the token signs those bytes.
 */
public final class OpenSshCertificateSigner implements CertificateSigner {

    private static final SecureRandom NONCES = new SecureRandom();
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
        CaSigner signer = ca.signer();
        try {
            OpenSshCertificate certificate = signer instanceof FileCaSigner file
                    ? FileCaSigner.certify(builder(request), file)
                    : assemble(request, signer);
            return new SignedCertificate(certificate, PublicKeyEntry.toString(certificate));
        } catch (Exception e) {
            throw new SigningException("signing failed", e);
        }
    }

    private static OpenSshCertificateBuilder builder(CertificateRequest request) {
        OpenSshCertificateBuilder builder = request.kind() == CertificateRequest.Kind.HOST
                ? OpenSshCertificateBuilder.hostCertificate()
                : OpenSshCertificateBuilder.userCertificate();
        return builder.publicKey(request.publicKey())
                .serial(request.serial())
                .id(request.keyId())
                .principals(request.principals())
                .validAfter(request.validAfter())
                .validBefore(request.validBefore())
                .criticalOptions(request.criticalOptions())
                .extensions(request.extensions());
    }

    /** The fields in the builder's order and encoding, signed by {@code signer} over the to-be-signed bytes. */
    private static OpenSshCertificate assemble(CertificateRequest request, CaSigner signer) throws Exception {
        OpenSshCertificateImpl certificate = new OpenSshCertificateImpl();
        certificate.setKeyType(KeyUtils.getKeyType(request.publicKey()) + "-cert-v01@openssh.com");
        byte[] nonce = new byte[32];
        NONCES.nextBytes(nonce);
        certificate.setNonce(nonce);
        certificate.setCertPubKey(request.publicKey());
        certificate.setSerial(request.serial());
        certificate.setType(request.kind() == CertificateRequest.Kind.HOST ? OpenSshCertificate.Type.HOST
                : OpenSshCertificate.Type.USER);
        certificate.setId(request.keyId());
        certificate.setPrincipals(request.principals());
        certificate.setValidAfter(request.validAfter());
        certificate.setValidBefore(request.validBefore());
        certificate.setCriticalOptions(new java.util.TreeMap<>(request.criticalOptions()));
        certificate.setExtensions(new java.util.TreeMap<>(request.extensions()));
        certificate.setCaPubKey(signer.publicKey());
        ByteArrayBuffer tbs = new ByteArrayBuffer();
        tbs.putRawPublicKey(certificate);
        byte[] message = tbs.getCompactData();
        certificate.setMessage(message);
        certificate.setSignature(signer.sshSignature(message));
        return certificate;
    }
}
