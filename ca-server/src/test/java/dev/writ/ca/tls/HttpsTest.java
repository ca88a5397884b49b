package dev.writ.ca.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.CaServer;
import dev.writ.ca.Main;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.testing.TestIdp;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With tls configured the CA speaks HTTPS only, with the certificate it was given. */
class HttpsTest {

    @TempDir
    Path dir;

    @Test
    void servesHttpsWithTheConfiguredCertificateAndNoPlainHttp() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        X509Certificate certificate = selfSigned(pair);
        writePem(dir.resolve("tls.crt"), certificate, "rw-r--r--");
        writePem(dir.resolve("tls.key"), pair.getPrivate(), "rw-------");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/p.yaml"), "roles:\n  - name: a\n    match: { groups: [x] }\n    principals: [a]\n    max_ttl: 1h\n");
        int port = freePort();
        try (TestIdp idp = new TestIdp()) {
            Path config = Files.writeString(dir.resolve("ca.yaml"), """
                    listen: 127.0.0.1:%d
                    store: sqlite:./data/writ.db
                    keys: ./data/keys
                    policies: ./policies
                    tls:
                      certificate: tls.crt
                      key: tls.key
                    issuers:
                      - url: %s
                        audience: writ
                    """.formatted(port, idp.issuerUrl()));
            try (CaServer ca = Main.start(ConfigLoader.load(config), Clock.systemUTC())) {
                HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(certificate)).build();
                HttpResponse<String> response = trusting.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + port + "/healthz")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());

                HttpClient plain = HttpClient.newHttpClient();
                assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()));

                HttpClient untrusting = HttpClient.newHttpClient();
                IOException refused = assertThrows(IOException.class, () -> untrusting.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + port + "/healthz")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()));
                assertTrue(refused.getClass().getName().contains("SSL"), refused.toString());
            }
        }
    }

    @Test
    void refusesAKeyFileReadableByOthers() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        writePem(dir.resolve("tls.crt"), selfSigned(pair), "rw-r--r--");
        writePem(dir.resolve("tls.key"), pair.getPrivate(), "rw-r--r--");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/p.yaml"), "roles:\n  - name: a\n    match: { groups: [x] }\n    principals: [a]\n    max_ttl: 1h\n");
        Path config = Files.writeString(dir.resolve("ca.yaml"), """
                listen: 127.0.0.1:0
                store: sqlite:./data/writ.db
                keys: ./data/keys
                policies: ./policies
                tls: { certificate: tls.crt, key: tls.key }
                issuers: [ { url: "http://127.0.0.1:1/idp", audience: writ } ]
                """);
        Main.StartupException e = assertThrows(Main.StartupException.class,
                () -> Main.start(ConfigLoader.load(config), Clock.systemUTC()).close());
        assertTrue(e.getMessage().contains("must be readable by its owner only"), e.getMessage());
    }

    static X509Certificate selfSigned(KeyPair pair) throws Exception {
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(new X500Name("CN=localhost"), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("CN=localhost"), pair.getPublic())
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    }

    static void writePem(Path file, Object object, String mode) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(object instanceof java.security.PrivateKey key
                    ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null) : object);
        }
        Files.writeString(file, out.toString());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    static SSLContext trusting(X509Certificate certificate) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
