package dev.writ.ca;

import dev.writ.ca.config.CaConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** HTTPS from a PEM certificate chain and PEM private key, as the config names them. */
final class Tls {

    private Tls() {
    }

    static Connector connector(Server server, HttpConfiguration http, CaConfig config) {
        try {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("writ", readKey(config.tls().key()), password,
                    readChain(config.tls().certificate()).toArray(Certificate[]::new));
            ssl.setKeyStore(store);
            ssl.setKeyStorePassword("");
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            HttpConfiguration https = new HttpConfiguration(http);
            https.addCustomizer(new SecureRequestCustomizer(false));
            ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                    new HttpConnectionFactory(https));
            connector.setHost(config.listen().host());
            connector.setPort(config.listen().port());
            return connector;
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up TLS from " + config.tls().certificate() + " and "
                    + config.tls().key() + ": " + e.getMessage(), e);
        }
    }

    private static List<Certificate> readChain(Path file) throws Exception {
        try (var in = Files.newInputStream(file)) {
            List<Certificate> chain = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (chain.isEmpty()) {
                throw new IOException(file + " holds no certificate");
            }
            return chain;
        }
    }

    private static PrivateKey readKey(Path file) throws Exception {
        dev.writ.ca.keys.KeyFiles.requireOwnerOnly(file);
        try (Reader reader = Files.newBufferedReader(file); PEMParser parser = new PEMParser(reader)) {
            Object pem = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (pem instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (pem instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IOException(file + " holds no unencrypted PEM private key");
        }
    }
}
