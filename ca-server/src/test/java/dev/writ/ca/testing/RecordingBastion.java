package dev.writ.ca.testing;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.writ.ca.recording.RecordingUploader;
import dev.writ.protocol.recording.RecordingUpload;
import dev.writ.protocol.ssh.PublicKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * A bastion as the CA sees it when recordings arrive: a real Ed25519 key pair that the test
 * registers in the CA config ({@link #config()}), the JWT it authenticates with, the signature it
 * puts over a recording's digest, and the upload itself.
 */
public final class RecordingBastion {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final KeyPair keys;

    private RecordingBastion(String name, KeyPair keys) {
        this.name = name;
        this.keys = keys;
    }

    public static RecordingBastion generate(String name) throws Exception {
        return new RecordingBastion(name, KeyUtils.generateKeyPair("ssh-ed25519", 256));
    }

    public String name() {
        return name;
    }

    public String publicKeyLine() {
        return PublicKeys.toLine(keys.getPublic());
    }

    public RecordingUploader uploader() {
        return new RecordingUploader(name, keys.getPublic());
    }

    /** The CA config entry that trusts this bastion. */
    public String config() {
        return "bastions:\n  - name: " + name + "\n    public_key: " + publicKeyLine()
                + "\n    addresses: [\"127.0.0.1/32\"]\n    hostnames: [\"" + name + ".example.com\"]\n";
    }

    /** base64 of this bastion's signature over {@code sha256}. */
    public String sign(byte[] sha256) throws Exception {
        return Base64.getEncoder().encodeToString(RecordingUpload.sign(keys.getPrivate(), sha256));
    }

    /** A token as the bastion sends with each call: EdDSA JWT, iss = sub = name, aud writ-ca, one minute. */
    public String token(Instant now) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(name).subject(name).audience(List.of("writ-ca"))
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)))
                .jwtID(UUID.randomUUID().toString()).build();
        return jwt(claims);
    }

    /** A JWT with these claims, signed (EdDSA) by this bastion's key. */
    public String jwt(JWTClaimsSet claims) throws Exception {
        return jwt("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", claims.toString(), jdkPrivateKey());
    }

    public static String sha256Hex(byte[] body) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    }

    /** Uploads {@code body} as recording {@code id}, correctly signed. */
    public HttpResponse<String> upload(String caUrl, String id, byte[] body) throws Exception {
        String sha256 = sha256Hex(body);
        return upload(caUrl, id, body, sha256, sign(HexFormat.of().parseHex(sha256)));
    }

    /** Uploads {@code body} with the digest and signature headers given, right or wrong. */
    public HttpResponse<String> upload(String caUrl, String id, byte[] body, String sha256, String signature)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(caUrl + "/v1/recordings/" + id))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token(Instant.now()))
                .header("Content-Type", RecordingUpload.MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (sha256 != null) {
            request.header(RecordingUpload.SHA256_HEADER, sha256);
        }
        if (signature != null) {
            request.header(RecordingUpload.SIGNATURE_HEADER, signature);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Uploads a recording streamed from {@code body} ({@code length} bytes whose SHA-256 is
     * {@code sha256}), correctly signed, waiting at most {@code timeout} for the answer.
     */
    public HttpResponse<String> upload(String caUrl, String id, java.util.function.Supplier<java.io.InputStream> body,
                                       long length, String sha256, Duration timeout) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(caUrl + "/v1/recordings/" + id))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token(Instant.now()))
                .header("Content-Type", RecordingUpload.MEDIA_TYPE)
                .header(RecordingUpload.SHA256_HEADER, sha256)
                .header(RecordingUpload.SIGNATURE_HEADER, sign(HexFormat.of().parseHex(sha256)))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(body), length))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static String jwt(String header, String payload, PrivateKey key) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String input = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(key);
        ed25519.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64.encodeToString(ed25519.sign());
    }

    private PrivateKey jdkPrivateKey() throws Exception {
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(keys.getPrivate().getEncoded()));
    }
}
