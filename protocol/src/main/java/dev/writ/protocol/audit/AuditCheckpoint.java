package dev.writ.protocol.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.writ.protocol.ssh.PublicKeys;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * The CA's signed statement that its audit chain had, at {@code at}, event {@code seq} with hash
 * {@code hash}: one line of {@code GET /v1/audit/checkpoints} and of an evidence bundle. Whoever
 * rewrites the database and recomputes every later hash cannot sign the new hashes without the
 * audit key, so a checkpoint taken before the rewrite no longer matches the chain.
 *
 * <p>The signature covers the UTF-8 bytes of {@link #statement()}: Ed25519, or ECDSA P-256 with
 * SHA-256 (DER) when the audit key lives in a token without Ed25519; base64 on the wire.
 *
 * @param keyId the audit key's {@code SHA256:...} fingerprint, as {@code ssh-keygen -l} prints it
 */
public record AuditCheckpoint(
        @JsonProperty("seq") long seq,
        @JsonProperty("hash") String hash,
        @JsonProperty("at") @JsonSerialize(using = ToStringSerializer.class)
        @JsonDeserialize(using = AuditRecord.InstantText.class) Instant at,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("signature") String signature) {

    public AuditCheckpoint {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signature, "signature");
    }

    /** What the audit key signs: every field but the signature, one per line. */
    public static byte[] statement(long seq, String hash, Instant at, String keyId) {
        return ("writ audit checkpoint v1\nseq=" + seq + "\nhash=" + hash + "\nat=" + at.toEpochMilli()
                + "\nkey_id=" + keyId + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public byte[] statement() {
        return statement(seq, hash, at, keyId);
    }

    /** Whether {@code key} is the key this checkpoint names and its signature verifies; false for any malformed input. */
    public boolean verify(PublicKey key) {
        if (!keyId.equals(PublicKeys.fingerprint(key))) {
            return false;
        }
        try {
            byte[] raw = Base64.getDecoder().decode(signature);
            Signature verifier = Signature.getInstance(key instanceof ECKey ? "SHA256withECDSA" : "Ed25519");
            verifier.initVerify(key instanceof ECKey ? key
                    : KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(key.getEncoded())));
            verifier.update(statement());
            return verifier.verify(raw);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false; // a signature that cannot even be checked is not a valid one
        }
    }
}
