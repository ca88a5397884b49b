package dev.writ.protocol.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.protocol.audit.EvidenceBundle.Result;
import dev.writ.protocol.audit.EvidenceBundle.UnreadableBundle;
import dev.writ.protocol.ssh.PublicKeys;
import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Evidence bundles checked offline: an untouched one passes; an edited event, a chain recomputed
 * after an edit, a checkpoint signed by another key, a cut file and a file that is no bundle each
 * fail, naming the first bad sequence number or why the file cannot be checked.
 */
class EvidenceBundleTest {

    static final Instant T0 = Instant.parse("2026-11-18T09:00:00Z");
    static final KeyPair AUDIT_KEY = ed25519();
    static final KeyPair OTHER_KEY = ed25519();

    /** Events 11..40 of a log (the bundle starts after event 10), checkpoints at 20, 30 and 40. */
    static List<AuditRecord> events(UnaryOperator<String> details) {
        List<AuditRecord> events = new ArrayList<>();
        String prev = AuditChain.GENESIS;
        for (long seq = 1; seq <= 40; seq++) {
            Instant at = T0.plusSeconds(seq);
            String text = details.apply("{\"n\":" + seq + "}");
            String hash = AuditChain.hash(prev, seq, at.toEpochMilli(), "cert.issued", "alice@example.com", "ok", null, text);
            events.add(new AuditRecord(seq, at, "cert.issued", "alice@example.com", "ok", null, text, prev, hash));
            prev = hash;
        }
        return events;
    }

    static String bundle(List<AuditRecord> events, List<AuditRecord> signed, KeyPair signer) throws Exception {
        StringWriter text = new StringWriter();
        var header = new EvidenceBundle.Header(EvidenceBundle.FORMAT, "https://ca.example.com", T0.toString(), null, null,
                11, 40, events.get(9).hash(), PublicKeys.toLine(AUDIT_KEY.getPublic()),
                PublicKeys.fingerprint(AUDIT_KEY.getPublic()));
        var out = new EvidenceBundle.Output(text, header);
        for (long seq : new long[] {20, 30, 40}) {
            out.checkpoint(checkpoint(signed.get((int) seq - 1), signer));
        }
        for (AuditRecord event : events.subList(10, 40)) {
            out.event(event);
        }
        out.end();
        return text.toString();
    }

    static AuditCheckpoint checkpoint(AuditRecord event, KeyPair signer) throws Exception {
        Instant at = event.at().plusSeconds(1);
        String keyId = PublicKeys.fingerprint(AUDIT_KEY.getPublic());
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(KeyFactory.getInstance("Ed25519").generatePrivate(
                new PKCS8EncodedKeySpec(signer.getPrivate().getEncoded())));
        ed25519.update(AuditCheckpoint.statement(event.seq(), event.hash(), at, keyId));
        return new AuditCheckpoint(event.seq(), event.hash(), at, keyId, Base64.getEncoder().encodeToString(ed25519.sign()));
    }

    static Result verify(String bundle) throws Exception {
        return EvidenceBundle.verify(new BufferedReader(new StringReader(bundle)));
    }

    @Nested
    class Passing {
        @Test
        void anUntouchedBundleVerifies() throws Exception {
            Result result = verify(bundle(events(d -> d), events(d -> d), AUDIT_KEY));

            assertTrue(result.ok(), result.toString());
            assertEquals(30, result.verification().events());
            assertEquals(3, result.checkpoints());
            assertEquals(40, result.newestCheckpoint().seq());
            assertEquals(PublicKeys.fingerprint(AUDIT_KEY.getPublic()), result.header().auditKeyId());
        }
    }

    @Nested
    class Failing {
        @Test
        void anEditedEventIsNamed() throws Exception {
            String bundle = bundle(events(d -> d), events(d -> d), AUDIT_KEY).replace("{\"n\":25}", "{\"n\":99}");

            Result result = verify(bundle);

            assertFalse(result.ok());
            assertEquals(25L, result.verification().brokenAt());
            assertEquals("event 25 was altered (hash differs)", result.verification().problem());
        }

        @Test
        void aChainRecomputedAfterAnEditFailsAtTheNextCheckpoint() throws Exception {
            List<AuditRecord> rewritten = events(d -> d.equals("{\"n\":25}") ? "{\"n\":99}" : d);

            Result result = verify(bundle(rewritten, events(d -> d), AUDIT_KEY));

            assertFalse(result.ok());
            assertEquals(30L, result.verification().brokenAt());
            assertTrue(result.verification().problem().startsWith("event 30 differs from the checkpoint signed at "),
                    result.verification().problem());
            assertTrue(result.verification().problem().endsWith("the chain was rewritten after that checkpoint, in events"
                    + " 21 to 30"), result.verification().problem());
        }

        @Test
        void aCheckpointSignedByAnotherKeyIsNamed() throws Exception {
            Result result = verify(bundle(events(d -> d), events(d -> d), OTHER_KEY));

            assertEquals(20L, result.verification().brokenAt());
            assertEquals("the checkpoint at event 20 does not carry a valid signature of the audit key",
                    result.verification().problem());
        }

        @Test
        void aRemovedEventIsNamed() throws Exception {
            String bundle = bundle(events(d -> d), events(d -> d), AUDIT_KEY);
            String withoutEvent12 = String.join("\n", bundle.lines().filter(l -> !l.contains("{\"n\":12}")).toList()) + "\n";

            Result result = verify(withoutEvent12);

            assertEquals(12L, result.verification().brokenAt());
            assertEquals("event 12 is missing", result.verification().problem());
        }

        @Test
        void aCutFileCannotBeChecked() throws Exception {
            String bundle = bundle(events(d -> d), events(d -> d), AUDIT_KEY);
            String cut = bundle.substring(0, bundle.indexOf("{\"n\":35}"));
            String withoutEnd = bundle.substring(0, bundle.indexOf("{\"end\""));

            UnreadableBundle halfLine = assertThrows(UnreadableBundle.class, () -> verify(cut));
            UnreadableBundle noEnd = assertThrows(UnreadableBundle.class, () -> verify(withoutEnd));

            assertTrue(halfLine.getMessage().startsWith("line 29 is not a bundle line"), halfLine.getMessage());
            assertEquals("it ends before its end line after 30 events: the file was cut", noEnd.getMessage());
        }

        @Test
        void aFileThatIsNoBundleCannotBeChecked() {
            UnreadableBundle text = assertThrows(UnreadableBundle.class, () -> verify("hello\n"));
            UnreadableBundle empty = assertThrows(UnreadableBundle.class, () -> verify(""));
            UnreadableBundle event = assertThrows(UnreadableBundle.class, () -> verify("{\"end\":{\"events\":0,\"checkpoints\":0}}\n"));

            assertTrue(text.getMessage().startsWith("line 1 is not a bundle line"), text.getMessage());
            assertEquals("it does not begin with a bundle header: not a writ evidence bundle", empty.getMessage());
            assertEquals("it does not begin with a bundle header: not a writ evidence bundle", event.getMessage());
        }

        @Test
        void aHeaderWhoseKeyIdIsNotItsKeysIsRefused() throws Exception {
            String bundle = bundle(events(d -> d), events(d -> d), AUDIT_KEY)
                    .replace(PublicKeys.fingerprint(AUDIT_KEY.getPublic()), PublicKeys.fingerprint(OTHER_KEY.getPublic()));

            UnreadableBundle e = assertThrows(UnreadableBundle.class, () -> verify(bundle));

            assertEquals("its header's audit_key_id is not the fingerprint of its audit_key", e.getMessage());
        }
    }

    @Test
    void aFreshChainHasNoProblem() {
        assertNull(new CheckpointedChain(1, AuditChain.GENESIS, List.of(), AUDIT_KEY.getPublic()).accept(events(d -> d).get(0)));
    }

    static KeyPair ed25519() {
        try {
            return KeyUtils.generateKeyPair("ssh-ed25519", 256);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
