package dev.writ.protocol.recording;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Test;

class RecordingUploadTest {

    static byte[] digest(String text) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(text.getBytes());
    }

    @Test
    void anEd25519SignatureOverTheDigestVerifiesAndNothingElseDoes() throws Exception {
        KeyPair bastion = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        KeyPair other = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        byte[] signature = RecordingUpload.sign(bastion.getPrivate(), digest("recording"));

        assertTrue(RecordingUpload.verify(bastion.getPublic(), digest("recording"), signature));
        assertFalse(RecordingUpload.verify(bastion.getPublic(), digest("recordinG"), signature));
        assertFalse(RecordingUpload.verify(other.getPublic(), digest("recording"), signature));
        assertFalse(RecordingUpload.verify(bastion.getPublic(), digest("recording"), new byte[64]));
        assertFalse(RecordingUpload.verify(bastion.getPublic(), new byte[31], signature));
    }

    @Test
    void anEcdsaP256SignatureVerifies() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair bastion = generator.generateKeyPair();

        byte[] signature = RecordingUpload.sign(bastion.getPrivate(), digest("recording"));

        assertTrue(RecordingUpload.verify(bastion.getPublic(), digest("recording"), signature));
        assertFalse(RecordingUpload.verify(bastion.getPublic(), digest("other"), signature));
    }

    @Test
    void refusesToSignAnythingButADigestOrWithAnRsaKey() throws Exception {
        KeyPair ed = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        KeyPair rsa = KeyUtils.generateKeyPair("ssh-rsa", 2048);
        assertThrows(IllegalArgumentException.class, () -> RecordingUpload.sign(ed.getPrivate(), new byte[20]));
        assertThrows(java.security.GeneralSecurityException.class, () -> RecordingUpload.sign(rsa.getPrivate(), new byte[32]));
        assertFalse(RecordingUpload.verify(rsa.getPublic(), new byte[32], new byte[256]));
    }
}
