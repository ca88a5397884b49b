package dev.writ.ca.host;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.writ.ca.RequestRefused;
import dev.writ.ca.keys.CaKey;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.store.HostProvenance;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.ca.token.VerifierFactory;
import dev.writ.protocol.api.RenewalProof;
import dev.writ.protocol.ssh.InvalidKeyException;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;

/**
 * Checks a {@link RenewalProof}: that the certificate it carries is a host certificate of ours,
 * valid now and not revoked, and that the proof was signed with that certificate's key, for us,
 * moments ago. Any failure is a 401 whose detail says which check failed, but for a certificate
 * that breaks the SSH encoding: that is a malformed request, a 400.
 */
final class RenewalProofVerifier {

    /** A proof that passed every check, and what the store knows of its certificate. */
    record Proven(OpenSshCertificate certificate, IssuedCertificate issued, HostProvenance provenance,
                  String proofPublicKey) {
    }

    /** Far longer than any proof: a certificate line with an RSA 16384 key is about 6 KB. */
    private static final int MAX_PROOF_CHARS = 16 * 1024;
    private static final Duration SKEW = Duration.ofSeconds(60);
    /** Asymmetric algorithms only: no "none", no HMAC with a public key as secret. */
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);

    private final CaKey hostCa;
    private final Store store;
    private final VerifierFactory verifiers = new VerifierFactory();

    RenewalProofVerifier(CaKey hostCa, Store store) {
        this.hostCa = hostCa;
        this.store = store;
    }

    Proven verify(String proof, Instant now) throws RequestRefused, StoreException {
        // 1. parse, trusting nothing yet
        SignedJWT jwt = parse(proof);
        if (!new JOSEObjectType(RenewalProof.TYPE).equals(jwt.getHeader().getType())) {
            throw rejected("typ must be " + RenewalProof.TYPE);
        }
        if (!ALGORITHMS.contains(jwt.getHeader().getAlgorithm())) {
            throw rejected("algorithm not allowed");
        }
        JWTClaimsSet claims = claims(jwt);
        OpenSshCertificate certificate = certificate(claims);
        // 2. the certificate is ours: a host certificate, signed by our host CA, valid now, not revoked
        if (certificate.getType() != OpenSshCertificate.Type.HOST) {
            throw rejected("the certificate is not a host certificate");
        }
        if (!signedByOurHostCa(certificate)) {
            throw rejected("the certificate is not signed by this CA");
        }
        String serial = Serials.format(certificate.getSerial());
        if (now.isBefore(Instant.ofEpochSecond(certificate.getValidAfter()))) {
            throw rejected("certificate " + serial + " is not valid yet");
        }
        if (!now.isBefore(Instant.ofEpochSecond(certificate.getValidBefore()))) {
            throw rejected("certificate " + serial + " expired at " + Instant.ofEpochSecond(certificate.getValidBefore()));
        }
        if (store.isRevoked(certificate.getSerial(), certificate.getId(), PublicKeys.fingerprint(certificate.getCertPubKey()))) {
            throw rejected("certificate " + serial + " is revoked");
        }
        // 3. the proof was signed with the certificate's key: the caller holds the host's private key
        if (!signatureVerifies(jwt, certificate.getCertPubKey())) {
            throw rejected("the signature does not verify with the certificate's key");
        }
        // 4. the proof was made for us, just now
        checkClaims(claims, certificate, now);
        // 5. what the store recorded when it issued the certificate
        Optional<IssuedCertificate> issued = store.certificate(certificate.getSerial());
        Optional<HostProvenance> provenance = store.hostProvenance(certificate.getSerial());
        if (issued.isEmpty() || provenance.isEmpty()
                || !issued.get().keyFingerprint().equals(PublicKeys.fingerprint(certificate.getCertPubKey()))) {
            throw rejected("certificate " + serial + " is not a host certificate this CA recorded");
        }
        return new Proven(certificate, issued.get(), provenance.get(), stringClaim(claims, RenewalProof.CLAIM_PUBLIC_KEY));
    }

    private static SignedJWT parse(String proof) throws RequestRefused {
        if (proof == null || proof.isBlank()) {
            throw RequestRefused.unauthorized("proof_rejected", "proof is missing: a JWT signed with the current host key");
        }
        if (proof.length() > MAX_PROOF_CHARS) {
            throw rejected("malformed proof");
        }
        try {
            return SignedJWT.parse(proof);
        } catch (ParseException | RuntimeException e) {
            throw rejected("malformed proof");
        }
    }

    private static JWTClaimsSet claims(SignedJWT jwt) throws RequestRefused {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            throw rejected("malformed proof");
        }
    }

    /** A malformed certificate is a bad request (400), as everywhere at the CA; anything else that is no certificate, a failed proof. */
    private static OpenSshCertificate certificate(JWTClaimsSet claims) throws RequestRefused {
        String line = stringClaim(claims, RenewalProof.CLAIM_CERT);
        if (line == null) {
            throw rejected("missing " + RenewalProof.CLAIM_CERT + " claim");
        }
        try {
            if (PublicKeys.parse(line, "the " + RenewalProof.CLAIM_CERT + " claim") instanceof OpenSshCertificate certificate) {
                return certificate;
            }
        } catch (InvalidKeyException e) {
            if (e.malformed()) {
                throw RequestRefused.badRequest("bad_certificate", "renewal proof rejected: " + e.getMessage());
            }
            // otherwise answered below, like a plain key
        }
        throw rejected("the " + RenewalProof.CLAIM_CERT + " claim is not an OpenSSH certificate");
    }

    /** The CA key is one of our trusted host CA keys, and its signature over the certificate verifies (as sshd checks it). */
    private boolean signedByOurHostCa(OpenSshCertificate certificate) {
        PublicKey ca = certificate.getCaPubKey();
        if (hostCa.trusted().stream().noneMatch(trusted -> KeyUtils.compareKeys(trusted, ca))) {
            return false;
        }
        String algorithm = certificate.getSignatureAlgorithm();
        if (KeyPairProvider.SSH_RSA.equals(algorithm)
                || !KeyUtils.getKeyType(ca).equals(KeyUtils.getCanonicalKeyType(algorithm))) {
            return false; // SHA-1 RSA signatures are never ours; nor is an algorithm of another key type
        }
        BuiltinSignatures factory = BuiltinSignatures.fromFactoryName(algorithm);
        if (factory == null || !factory.isSupported()) {
            return false;
        }
        try {
            Signature verifier = factory.create();
            verifier.initVerifier(null, ca);
            verifier.update(null, certificate.getMessage());
            return verifier.verify(null, certificate.getSignature());
        } catch (Exception malformed) {
            return false;
        }
    }

    private boolean signatureVerifies(SignedJWT jwt, PublicKey key) {
        try {
            JWSVerifier verifier = verifiers.createJWSVerifier(jwt.getHeader(), key);
            return jwt.verify(verifier);
        } catch (JOSEException | RuntimeException wrongKeyTypeOrBadSignature) {
            return false;
        }
    }

    private static void checkClaims(JWTClaimsSet claims, OpenSshCertificate certificate, Instant now) throws RequestRefused {
        if (claims.getAudience() == null || !claims.getAudience().contains(RenewalProof.audience(certificate.getCaPubKey()))) {
            throw rejected("audience mismatch: aud must be " + RenewalProof.audience(certificate.getCaPubKey()));
        }
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        if (exp == null || iat == null) {
            throw rejected("exp and iat are required");
        }
        if (Duration.between(iat.toInstant(), exp.toInstant()).compareTo(RenewalProof.MAX_LIFETIME) > 0) {
            throw rejected("the proof lives longer than " + RenewalProof.MAX_LIFETIME.toMinutes() + " minutes");
        }
        if (iat.toInstant().isAfter(now.plus(SKEW))) {
            throw rejected("the proof is issued in the future");
        }
        if (!now.isBefore(exp.toInstant().plus(SKEW))) {
            throw rejected("the proof expired");
        }
    }

    private static String stringClaim(JWTClaimsSet claims, String name) throws RequestRefused {
        try {
            return claims.getStringClaim(name);
        } catch (ParseException e) {
            throw rejected("the " + name + " claim must be a string");
        }
    }

    private static RequestRefused rejected(String reason) {
        return RequestRefused.unauthorized("proof_rejected", "renewal proof rejected: " + reason);
    }
}
