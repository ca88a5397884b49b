package dev.writ.ca.sign;

/** Signs a certificate whose content is already decided. The only place CA private keys are used. */
@FunctionalInterface
public interface CertificateSigner {
    SignedCertificate sign(CertificateRequest request) throws SigningException;
}
