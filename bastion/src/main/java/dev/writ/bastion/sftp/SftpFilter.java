package dev.writ.bastion.sftp;

import dev.writ.bastion.relay.Refusal;
import dev.writ.bastion.relay.StreamFilter;
import dev.writ.policy.ChannelRules;
import dev.writ.policy.ChannelRules.FileAccess;
import dev.writ.policy.Verdict;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The SFTP (version 3) packets of one subsystem channel, read both ways by the bastion. Every
 * request from the engineer is parsed in full; each operation on a file is checked against the
 * role's {@code files} rules and marked in the recording; a refused one never reaches the target
 * and is answered {@code SSH_FX_PERMISSION_DENIED} with a message the client prints. A packet
 * that is not valid SFTP ends the channel. Replies from the target are framed (so that an answer
 * of the bastion's never lands inside one) and read for what the requests need later: the home
 * directory ({@code REALPATH "."}) and which handle names which file ({@code OPEN}, {@code OPENDIR}).
 */
public final class SftpFilter implements StreamFilter {

    /** Larger than any packet OpenSSH sends (256 KiB) or its server accepts. */
    static final int MAX_PACKET = 1024 * 1024;

    // requests (client to server)
    static final int INIT = 1, OPEN = 3, CLOSE = 4, READ = 5, WRITE = 6, LSTAT = 7, FSTAT = 8, SETSTAT = 9,
            FSETSTAT = 10, OPENDIR = 11, READDIR = 12, REMOVE = 13, MKDIR = 14, RMDIR = 15, REALPATH = 16, STAT = 17,
            RENAME = 18, READLINK = 19, SYMLINK = 20, EXTENDED = 200;
    // replies (server to client)
    static final int VERSION = 2, STATUS = 101, HANDLE = 102, NAME = 104;
    static final int FX_PERMISSION_DENIED = 3, FX_OP_UNSUPPORTED = 8;
    // open flags
    static final int FXF_READ = 0x1, FXF_WRITE = 0x2, FXF_APPEND = 0x4, FXF_CREAT = 0x8, FXF_TRUNC = 0x10, FXF_EXCL = 0x20;

    /** A file or directory the target opened, by its handle. */
    private record Opened(String path, boolean writable) {
    }

    private final ChannelRules.Files rules;
    private final Framer fromClient = new Framer();
    private final Framer fromTarget = new Framer();
    /** Requests waiting for their reply, by id: what the reply tells us. */
    private final Map<Long, Opened> pendingOpens = new HashMap<>();
    private final Map<Long, Boolean> pendingHome = new HashMap<>();
    private final Map<String, Opened> handles = new HashMap<>();
    private String home;
    private boolean broken;

    /** @param rules the role's {@code files} rules; null allows every operation (each is still marked) */
    public SftpFilter(ChannelRules.Files rules) {
        this.rules = rules;
    }

    @Override
    public void fromClient(byte[] bytes, int length, Output out) {
        if (broken) {
            return;
        }
        for (byte[] packet : fromClient.add(bytes, length)) {
            if (packet == null) {
                fail(out, "sftp packet longer than " + MAX_PACKET + " bytes");
                return;
            }
            try {
                request(packet, out);
            } catch (Malformed | RuntimeException e) {
                fail(out, e instanceof Malformed ? e.getMessage() : "truncated sftp packet");
                return;
            }
        }
    }

    @Override
    public void fromTarget(byte[] bytes, int length, Output out) {
        for (byte[] packet : fromTarget.add(bytes, length)) {
            if (packet == null) {
                broken = true;
                out.malformed(Refusal.sftp("sftp_malformed", "target sent a packet longer than " + MAX_PACKET + " bytes"));
                return;
            }
            try {
                reply(packet);
            } catch (Malformed | RuntimeException e) {
                // a reply we cannot read is passed as it is: the client judges the server's answers
            }
            out.onward(packet);
        }
    }

    private void fail(Output out, String why) {
        broken = true;
        out.malformed(Refusal.sftp("sftp_malformed", why));
    }

    // ---- requests

    private void request(byte[] packet, Output out) throws Malformed {
        Reader r = new Reader(packet);
        int type = r.u8();
        if (type == INIT) {
            r.u32(); // version; extensions follow as pairs of strings
            while (r.remaining() > 0) {
                r.string();
                r.string();
            }
            out.onward(packet);
            return;
        }
        long id = r.u32();
        switch (type) {
            case OPEN -> {
                String asked = r.text();
                int flags = (int) r.u32();
                r.attrs();
                r.end();
                boolean writes = (flags & (FXF_WRITE | FXF_APPEND | FXF_CREAT | FXF_TRUNC)) != 0;
                String path = path(asked);
                if (path == null) {
                    relative(id, asked, out);
                    return;
                }
                String operation = writes ? "write" : "read";
                if (!check(id, operation, path, null, out, writes ? FileAccess.WRITE : FileAccess.READ)
                        || ((flags & FXF_READ) != 0 && writes
                        && !check(id, operation, path, null, out, FileAccess.READ))) {
                    return;
                }
                pendingOpens.put(id, new Opened(path, writes));
                out.fileOperation(operation, path, null, false);
                out.onward(packet);
            }
            case OPENDIR -> {
                String path = pathOrRefuse(id, r.text(), out);
                r.end();
                if (path != null && check(id, "list", path, null, out, FileAccess.READ)) {
                    pendingOpens.put(id, new Opened(path, false));
                    out.fileOperation("list", path, null, false);
                    out.onward(packet);
                }
            }
            case REMOVE, RMDIR, MKDIR, SETSTAT -> {
                String path = pathOrRefuse(id, r.text(), out);
                if (type == MKDIR || type == SETSTAT) {
                    r.attrs();
                }
                r.end();
                String operation = switch (type) {
                    case REMOVE -> "remove";
                    case RMDIR -> "rmdir";
                    case MKDIR -> "mkdir";
                    default -> "setstat";
                };
                FileAccess access = type == REMOVE || type == RMDIR ? FileAccess.REMOVE : FileAccess.WRITE;
                if (path != null && check(id, operation, path, null, out, access)) {
                    out.fileOperation(operation, path, null, false);
                    out.onward(packet);
                }
            }
            case RENAME -> twoPaths(id, "rename", r.text(), r.text(), r, FileAccess.RENAME, packet, out);
            case SYMLINK -> twoPaths(id, "symlink", r.text(), r.text(), r, FileAccess.WRITE, packet, out);
            case FSETSTAT -> {
                String handle = r.handle();
                r.attrs();
                r.end();
                Opened opened = handles.get(handle);
                if (opened != null && !opened.writable()
                        && !check(id, "setstat", opened.path(), null, out, FileAccess.WRITE)) {
                    return;
                }
                if (opened != null) {
                    out.fileOperation("setstat", opened.path(), null, false);
                }
                out.onward(packet);
            }
            case CLOSE -> {
                handles.remove(r.handle());
                r.end();
                out.onward(packet);
            }
            case READ -> {
                r.handle();
                r.u64();
                r.u32();
                r.end();
                out.onward(packet);
            }
            case WRITE -> {
                r.handle();
                r.u64();
                r.string();
                r.end();
                out.onward(packet);
            }
            case FSTAT, READDIR -> {
                r.handle();
                r.end();
                out.onward(packet);
            }
            case LSTAT, STAT, READLINK, REALPATH -> {
                String asked = r.text();
                if (type == STAT || type == LSTAT) {
                    // v3 has no flags here; some clients send them (v4+): tolerate a trailing uint32
                    if (r.remaining() == 4) {
                        r.u32();
                    }
                }
                r.end();
                if (type == REALPATH && (asked.isEmpty() || asked.equals("."))) {
                    pendingHome.put(id, true);
                }
                out.onward(packet); // metadata: neither checked nor marked
            }
            case EXTENDED -> extended(id, r, packet, out);
            default -> throw new Malformed("unknown sftp request type " + type);
        }
    }

    private void extended(long id, Reader r, byte[] packet, Output out) throws Malformed {
        String name = r.text();
        switch (name) {
            case "posix-rename@openssh.com" -> twoPaths(id, "rename", r.text(), r.text(), r, FileAccess.RENAME, packet, out);
            case "hardlink@openssh.com" -> twoPaths(id, "link", r.text(), r.text(), r, FileAccess.WRITE, packet, out);
            case "lsetstat@openssh.com" -> {
                String path = pathOrRefuse(id, r.text(), out);
                r.attrs();
                r.end();
                if (path != null && check(id, "setstat", path, null, out, FileAccess.WRITE)) {
                    out.fileOperation("setstat", path, null, false);
                    out.onward(packet);
                }
            }
            case "statvfs@openssh.com", "fstatvfs@openssh.com", "fsync@openssh.com", "limits@openssh.com",
                    "expand-path@openssh.com", "home-directory", "users-groups-by-id@openssh.com" ->
                    out.onward(packet); // metadata, or on a handle already checked
            case "copy-data" -> {
                // from a handle opened for reading to one opened for writing: both checked when opened
                String from = r.handle();
                r.u64();
                r.u64();
                String to = r.handle();
                r.u64();
                r.end();
                Opened target = handles.get(to);
                if (handles.containsKey(from) && target != null && target.writable()) {
                    out.fileOperation("copy", handles.get(from).path(), target.path(), false);
                    out.onward(packet);
                } else {
                    deny(id, "writ: copy-data needs a handle opened for writing", out);
                }
            }
            default -> {
                out.refused(Refusal.sftp("sftp_extension_not_allowed", Reader.printable(name)));
                out.back(status(id, FX_OP_UNSUPPORTED, "writ: the sftp extension " + Reader.printable(name)
                        + " is not allowed through the bastion"));
            }
        }
    }

    /** Rename, symlink, link: both names are checked for {@code access}. */
    private void twoPaths(long id, String operation, String first, String second, Reader r, FileAccess access, byte[] packet,
                          Output out) throws Malformed {
        r.end();
        String from = path(first);
        String to = path(second);
        if (from == null || to == null) {
            relative(id, from == null ? first : second, out);
            return;
        }
        if (check(id, operation, from, to, out, access) && check(id, operation, to, from, out, access)) {
            out.fileOperation(operation, from, to, false);
            out.onward(packet);
        }
    }

    /** Whether the rules allow {@code access} to {@code path}; if not, the refusal is answered, audited and marked. */
    private boolean check(long id, String operation, String path, String other, Output out, FileAccess access) {
        if (rules == null) {
            return true;
        }
        Verdict verdict = rules.check(access, path);
        if (verdict.allowed()) {
            return true;
        }
        out.fileOperation(operation, path, other, true);
        out.refused(Refusal.sftp("file_operation_not_allowed", operation + " " + path));
        out.back(status(id, FX_PERMISSION_DENIED, "writ: " + verdict.reason()));
        return false;
    }

    private String path(String asked) {
        return SftpPaths.resolve(asked, home);
    }

    private String pathOrRefuse(long id, String asked, Output out) {
        String path = path(asked);
        if (path == null) {
            relative(id, asked, out);
        }
        return path;
    }

    private void relative(long id, String asked, Output out) {
        out.refused(Refusal.sftp("sftp_relative_path", Reader.printable(asked)));
        out.back(status(id, FX_PERMISSION_DENIED, "writ: relative path before the home directory is known"));
    }

    private void deny(long id, String message, Output out) {
        out.refused(Refusal.sftp("file_operation_not_allowed", message));
        out.back(status(id, FX_PERMISSION_DENIED, message));
    }

    // ---- replies

    private void reply(byte[] packet) throws Malformed {
        Reader r = new Reader(packet);
        int type = r.u8();
        if (type == VERSION) {
            return;
        }
        long id = r.u32();
        Opened opening = pendingOpens.remove(id);
        boolean homeAsked = pendingHome.remove(id) != null;
        if (type == HANDLE && opening != null) {
            handles.put(r.handle(), opening);
        } else if (type == NAME && homeAsked && r.u32() >= 1) {
            String name = r.text();
            if (name.startsWith("/") && home == null) {
                home = SftpPaths.resolve(name, null);
            }
        }
    }

    /** {@code SSH_FXP_STATUS}: a whole packet, length first. */
    static byte[] status(long id, int code, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(STATUS);
        Reader.putU32(body, id);
        Reader.putU32(body, code);
        Reader.putU32(body, text.length);
        body.writeBytes(text);
        Reader.putU32(body, 0); // language tag
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        Reader.putU32(packet, body.size());
        packet.writeBytes(body.toByteArray());
        return packet.toByteArray();
    }

    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    /** Cuts a byte stream into SFTP packets (each with its length prefix); null for one over {@link #MAX_PACKET}. */
    static final class Framer {
        private byte[] buffer = new byte[0];
        private int filled;

        java.util.List<byte[]> add(byte[] bytes, int length) {
            if (filled + length > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(filled + length, buffer.length * 2));
            }
            System.arraycopy(bytes, 0, buffer, filled, length);
            filled += length;
            java.util.List<byte[]> packets = new java.util.ArrayList<>();
            int at = 0;
            while (filled - at >= 4) {
                long size = ((buffer[at] & 0xffL) << 24) | ((buffer[at + 1] & 0xff) << 16) | ((buffer[at + 2] & 0xff) << 8)
                        | (buffer[at + 3] & 0xff);
                if (size < 1 || size > MAX_PACKET) {
                    packets.add(null);
                    return packets;
                }
                if (filled - at < 4 + size) {
                    break;
                }
                packets.add(java.util.Arrays.copyOfRange(buffer, at, at + 4 + (int) size));
                at += 4 + (int) size;
            }
            System.arraycopy(buffer, at, buffer, 0, filled - at);
            filled -= at;
            if (buffer.length > 64 * 1024 && filled < buffer.length / 4) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(filled, 4096));
            }
            return packets;
        }
    }
}
