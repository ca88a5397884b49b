package dev.writ.bastion.sftp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.bastion.relay.Refusal;
import dev.writ.bastion.relay.StreamFilter;
import dev.writ.policy.ChannelRules;
import dev.writ.policy.ChannelRules.FileAccess;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bastion's reading of SFTP packets: strict, path-normalising, answering refusals itself. */
class SftpFilterTest {

    /** What the filter did with what it read. */
    static final class Seen implements StreamFilter.Output {
        final List<byte[]> onward = new ArrayList<>();
        final List<byte[]> back = new ArrayList<>();
        final List<String> operations = new ArrayList<>();
        final List<Refusal> refused = new ArrayList<>();
        Refusal malformed;

        @Override
        public void onward(byte[] bytes) {
            onward.add(bytes);
        }

        @Override
        public void back(byte[] bytes) {
            back.add(bytes);
        }

        @Override
        public void fileOperation(String operation, String path, String to, boolean refused) {
            operations.add((refused ? "refused " : "") + operation + " " + path + (to == null ? "" : " -> " + to));
        }

        @Override
        public void refused(Refusal refusal) {
            refused.add(refusal);
        }

        @Override
        public void malformed(Refusal refusal) {
            malformed = refusal;
        }
    }

    static final ChannelRules.Files RULES = new ChannelRules.Files(false,
            Map.of(FileAccess.REMOVE, List.of("/home/u/tmp/*")), Map.of());

    static byte[] packet(int type, Object... fields) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(type);
        for (Object field : fields) {
            if (field instanceof Integer n) {
                Reader.putU32(body, n);
            } else if (field instanceof String text) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                Reader.putU32(body, bytes.length);
                body.writeBytes(bytes);
            } else if (field instanceof byte[] raw) {
                body.writeBytes(raw);
            }
        }
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        Reader.putU32(packet, body.size());
        packet.writeBytes(body.toByteArray());
        return packet.toByteArray();
    }

    static int statusCode(byte[] status) {
        return ByteBuffer.wrap(status).getInt(4 + 1 + 4);
    }

    @Test
    void aRelativePathBeforeTheHomeIsKnownIsRefused() {
        SftpFilter filter = new SftpFilter(RULES);
        Seen seen = new Seen();
        byte[] remove = packet(SftpFilter.REMOVE, 7, "tmp/x");
        filter.fromClient(remove, remove.length, seen);
        assertEquals(List.of(), seen.onward);
        assertEquals(SftpFilter.FX_PERMISSION_DENIED, statusCode(seen.back.get(0)));
        assertEquals("sftp_relative_path", seen.refused.get(0).reason());
    }

    @Test
    void relativePathsResolveAgainstTheHomeTheTargetNamedAndDotDotIsFollowedByName() {
        SftpFilter filter = new SftpFilter(RULES);
        Seen seen = new Seen();
        byte[] realpath = packet(SftpFilter.REALPATH, 1, ".");
        filter.fromClient(realpath, realpath.length, seen);
        byte[] name = packet(SftpFilter.NAME, 1, 1, "/home/u", "/home/u", 0);
        filter.fromTarget(name, name.length, seen);

        byte[] allowed = packet(SftpFilter.REMOVE, 2, "tmp/./old.log");
        byte[] escaping = packet(SftpFilter.REMOVE, 3, "tmp/../.ssh/authorized_keys");
        byte[] both = new byte[allowed.length + escaping.length];
        System.arraycopy(allowed, 0, both, 0, allowed.length);
        System.arraycopy(escaping, 0, both, allowed.length, escaping.length);
        // cut anywhere: the filter frames the stream itself
        filter.fromClient(both, 5, seen);
        filter.fromClient(java.util.Arrays.copyOfRange(both, 5, both.length), both.length - 5, seen);

        assertEquals(List.of("remove /home/u/tmp/old.log", "refused remove /home/u/.ssh/authorized_keys"), seen.operations);
        assertEquals(3, seen.onward.size(), "realpath, the name reply, the allowed remove");
        assertEquals(1, seen.back.size());
        assertEquals(SftpFilter.FX_PERMISSION_DENIED, statusCode(seen.back.get(0)));
        assertEquals("remove /home/u/.ssh/authorized_keys", seen.refused.get(0).requested());
    }

    @Test
    void aPacketWithBytesAfterItsLastFieldEndsTheChannel() {
        SftpFilter filter = new SftpFilter(null);
        Seen seen = new Seen();
        byte[] bad = packet(SftpFilter.REMOVE, 4, "/tmp/x", new byte[] {0});
        filter.fromClient(bad, bad.length, seen);
        assertEquals("sftp_malformed", seen.malformed.reason());
        assertEquals(List.of(), seen.onward);
    }

    @Test
    void aPacketLongerThanTheLimitEndsTheChannel() {
        SftpFilter filter = new SftpFilter(null);
        Seen seen = new Seen();
        byte[] header = {0x7f, 0, 0, 0, SftpFilter.OPEN};
        filter.fromClient(header, header.length, seen);
        assertEquals("sftp_malformed", seen.malformed.reason());
    }

    @Test
    void aTruncatedStringEndsTheChannel() {
        SftpFilter filter = new SftpFilter(null);
        Seen seen = new Seen();
        byte[] bad = packet(SftpFilter.OPEN, 5, new byte[] {0, 0, 0, 100, 'x'});
        filter.fromClient(bad, bad.length, seen);
        assertEquals("sftp_malformed", seen.malformed.reason());
    }

    @Test
    void pathsAreNormalisedByName() {
        assertEquals("/etc/shadow", SftpPaths.resolve("/var/../../etc//./shadow", null));
        assertEquals("/", SftpPaths.resolve("/..", null));
        assertNull(SftpPaths.resolve("x", null));
        assertTrue(SftpPaths.resolve("a/b/..", "/home/u").equals("/home/u/a"));
    }
}
