package dev.writ.ca.keys;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Optional;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A PKCS#11 token opened through the JDK's SunPKCS11 provider. Keys are ECDSA P-256: the JDK 17
 * SunPKCS11 provider has no EdDSA. A key is generated in the token with CKA_SENSITIVE and not
 * CKA_EXTRACTABLE, and stored as a token object under its label with a self-signed X.509
 * certificate (the PKCS#11 KeyStore keeps a private key only beside one; it also carries the
 * public key). Signing happens in the token.
 */
public final class Pkcs11Token {

    private static final String SIGNATURE = "SHA256withECDSA";

    private final Provider provider;
    private final KeyStore keyStore;
    private final Pkcs11Config config;
    /** Kept to read the token's list of keys again when another process (writ-ca keys, a replica) added one. */
    private final char[] pin;

    private Pkcs11Token(Provider provider, KeyStore keyStore, Pkcs11Config config, char[] pin) {
        this.provider = provider;
        this.keyStore = keyStore;
        this.config = config;
        this.pin = pin;
    }

    /** Loads the module, logs in to the token with the PIN from the environment or the 0600 file. */
    public static Pkcs11Token open(Pkcs11Config config) throws IOException, GeneralSecurityException {
        char[] pin = pin(config);
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new GeneralSecurityException("this JDK has no SunPKCS11 provider");
        }
        if (!Files.isReadable(config.library())) {
            throw new IOException("the PKCS#11 module " + config.library() + " does not exist or cannot be read");
        }
        String name = "writ-" + Integer.toHexString(System.identityHashCode(config)) + "-" + System.nanoTime();
        String settings = "--name=" + name + "\n"
                + "library=" + config.library() + "\n"
                + (config.slot() != null ? "slot=" + config.slot() : "slotListIndex=" + config.slotIndex()) + "\n"
                + "attributes(*,CKO_PRIVATE_KEY,*) = {\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_PRIVATE = true\n}\n";
        Provider provider;
        try {
            provider = base.configure(settings);
        } catch (RuntimeException e) {
            throw new GeneralSecurityException("cannot open the PKCS#11 token: " + e.getMessage(), e);
        }
        KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
        try {
            keyStore.load(null, pin);
        } catch (IOException e) {
            java.util.Arrays.fill(pin, '\0');
            throw new GeneralSecurityException("cannot log in to the PKCS#11 token (wrong PIN or slot?): " + e.getMessage(), e);
        }
        return new Pkcs11Token(provider, keyStore, config, pin);
    }

    private static char[] pin(Pkcs11Config config) throws IOException {
        String pin;
        if (config.pinEnv() != null) {
            pin = System.getenv(config.pinEnv());
            if (pin == null || pin.isEmpty()) {
                throw new IOException("the PKCS#11 PIN variable " + config.pinEnv() + " is not set");
            }
        } else {
            KeyFiles.requireOwnerOnly(config.pinFile());
            pin = Files.readString(config.pinFile(), StandardCharsets.UTF_8).strip();
            if (pin.isEmpty()) {
                throw new IOException(config.pinFile() + " holds no PIN");
            }
        }
        return pin.toCharArray();
    }

    /** The label of a CA's first key, {@code PREFIX-user_ca}; a rotation's further keys add {@code -N}. */
    public String label(String keyName) {
        return config.labelPrefix() + "-" + keyName;
    }

    /** Whether the JDK's provider signs with EdDSA in this token (it does not in JDK 17). */
    public boolean supportsEd25519() {
        return provider.getService("Signature", "Ed25519") != null;
    }

    /** The key stored under {@code label}, if there is one. */
    public synchronized Optional<CaSigner> find(String label) throws GeneralSecurityException {
        if (!keyStore.isKeyEntry(label)) {
            try {
                keyStore.load(null, pin); // the provider lists the token's keys when loaded: look again
            } catch (IOException e) {
                throw new GeneralSecurityException("cannot read the PKCS#11 token's keys: " + e.getMessage(), e);
            }
            if (!keyStore.isKeyEntry(label)) {
                return Optional.empty();
            }
        }
        PrivateKey key = (PrivateKey) keyStore.getKey(label, null);
        Certificate certificate = keyStore.getCertificate(label);
        if (key == null || certificate == null) {
            throw new GeneralSecurityException("the token's entry " + label + " has no private key or no certificate");
        }
        return Optional.of(new TokenSigner(key, certificate.getPublicKey(), "pkcs11:" + label));
    }

    /** Generates an ECDSA P-256 key in the token and stores it under {@code label}; refuses a label in use. */
    public synchronized CaSigner generate(String label) throws GeneralSecurityException {
        if (keyStore.containsAlias(label)) {
            throw new GeneralSecurityException("the token already holds a key labelled " + label);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        X509Certificate certificate = selfSigned(pair, label);
        keyStore.setKeyEntry(label, pair.getPrivate(), null, new Certificate[] {certificate});
        return find(label).orElseThrow(() -> new GeneralSecurityException("the token did not keep the key " + label));
    }

    private X509Certificate selfSigned(KeyPair pair, String label) throws GeneralSecurityException {
        X500Name name = new X500Name("CN=" + label);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(365L * 100, ChronoUnit.DAYS)), name,
                SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()));
        try {
            var signer = new JcaContentSignerBuilder(SIGNATURE).setProvider(provider).build(pair.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot certify the new key: " + e.getMessage(), e);
        }
    }

    /** A key that stays in the token: every signature is computed there. */
    private final class TokenSigner implements CaSigner {

        private final PrivateKey key;
        private final PublicKey publicKey;
        private final String location;

        TokenSigner(PrivateKey key, PublicKey publicKey, String location) {
            this.key = key;
            this.publicKey = publicKey;
            this.location = location;
        }

        @Override
        public PublicKey publicKey() {
            return publicKey;
        }

        @Override
        public byte[] sign(byte[] data) throws GeneralSecurityException {
            Signature signature = Signature.getInstance(SIGNATURE, provider);
            signature.initSign(key);
            signature.update(data);
            return signature.sign();
        }

        /** The token's DER signature, re-encoded as OpenSSH wants it: {@code mpint r, mpint s} (RFC 5656). */
        @Override
        public byte[] sshSignature(byte[] data) throws GeneralSecurityException {
            ASN1Sequence der = ASN1Sequence.getInstance(sign(data));
            ByteArrayBuffer rs = new ByteArrayBuffer();
            rs.putMPInt(ASN1Integer.getInstance(der.getObjectAt(0)).getValue());
            rs.putMPInt(ASN1Integer.getInstance(der.getObjectAt(1)).getValue());
            ByteArrayBuffer blob = new ByteArrayBuffer();
            blob.putString(KeyPairProvider.ECDSA_SHA2_NISTP256);
            blob.putBytes(rs.getCompactData());
            return blob.getCompactData();
        }

        @Override
        public String jcaAlgorithm() {
            return SIGNATURE;
        }

        @Override
        public String location() {
            return location;
        }

        /** The private key object is a handle: its value cannot be read out of the token. */
        boolean extractable() {
            return key.getEncoded() != null;
        }

        @Override
        public String toString() {
            return "TokenSigner[" + location + "]";
        }
    }

    /** Whether {@code signer} is a token key whose value could be read out (never, for keys made here). */
    public static boolean isExtractable(CaSigner signer) {
        return !(signer instanceof TokenSigner token) || token.extractable();
    }
}
