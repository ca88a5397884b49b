package dev.writ.bastion.ca;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.writ.protocol.api.BastionAssertion;
import dev.writ.protocol.recording.RecordingUpload;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Set;
import java.util.UUID;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * The bastion's own key and the assertions it signs for the CA (RFC 7523 style, see
 * {@link BastionAssertion}): a fresh JWT per call, 30 s, single-use. The private key never
 * leaves this object; {@link #toString()} names only the bastion and the key type.
 */
public final class BastionCredential {

    static final Duration LIFETIME = Duration.ofSeconds(30);
    private static final Set<PosixFilePermission> LOOSE = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final String name;
    private final KeyPair key;
    private final JWSAlgorithm algorithm;
    private final JWSSigner signer;
    private final Clock clock;

    BastionCredential(String name, KeyPair key, Clock clock) throws JOSEException {
        this.name = name;
        this.key = key;
        this.clock = clock;
        if (key.getPrivate() instanceof ECPrivateKey ec) {
            this.algorithm = JWSAlgorithm.ES256;
            this.signer = new ECDSASigner(ec);
        } else if ("ssh-ed25519".equals(KeyUtils.getKeyType(key))) {
            this.algorithm = JWSAlgorithm.EdDSA;
            this.signer = new EdDsaSigner(key.getPrivate());
        } else {
            throw new JOSEException("the bastion key must be Ed25519 or ECDSA P-256, not " + KeyUtils.getKeyType(key));
        }
    }

    /** Reads the key file, refusing it when others can read it. */
    public static BastionCredential load(String name, Path file, Clock clock) throws IOException, GeneralSecurityException {
        if (Files.getPosixFilePermissions(file).stream().anyMatch(LOOSE::contains)) {
            throw new IOException(file + " holds the bastion's private key and must be readable by its owner only (chmod 600 "
                    + file + ")");
        }
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in,
                    FilePasswordProvider.EMPTY);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IOException(file + " holds no private key");
            }
            return new BastionCredential(name, it.next(), clock);
        } catch (JOSEException e) {
            throw new GeneralSecurityException(file + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public PublicKey publicKey() {
        return key.getPublic();
    }

    /** A new signed assertion for one call to the CA. */
    public String assertion() {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(name)
                .subject(name)
                .audience(BastionAssertion.AUDIENCE)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(LIFETIME)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an assertion with the bastion key", e);
        }
        return jwt.serialize();
    }

    /** The bastion's signature over a finished recording's SHA-256 (see {@link RecordingUpload}). */
    public byte[] signRecording(byte[] sha256) throws GeneralSecurityException {
        return RecordingUpload.sign(key.getPrivate(), sha256);
    }

    @Override
    public String toString() {
        return "BastionCredential[" + name + ", " + algorithm + "]";
    }

    /**
     * EdDSA (RFC 8037) with the JDK's or Bouncy Castle's Ed25519: Nimbus's own signer needs
     * Google Tink, which is not among writ's dependencies.
     */
    private static final class EdDsaSigner implements JWSSigner {
        private final PrivateKey key;
        private final JCAContext jcaContext = new JCAContext();

        EdDsaSigner(PrivateKey key) {
            this.key = key;
        }

        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
            try {
                Signature signature = Signature.getInstance("Ed25519");
                signature.initSign(key);
                signature.update(signingInput);
                return Base64URL.encode(signature.sign());
            } catch (GeneralSecurityException e) {
                throw new JOSEException("Ed25519 signing failed", e);
            }
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.EdDSA);
        }

        @Override
        public JCAContext getJCAContext() {
            return jcaContext;
        }
    }
}
