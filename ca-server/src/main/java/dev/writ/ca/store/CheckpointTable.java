package dev.writ.ca.store;

import dev.writ.protocol.audit.AuditCheckpoint;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The signed checkpoints of the audit chain (V14), and the few reads of the audit log that
 * checkpoints and evidence bundles need. Reads see committed rows only, so a head read here is a
 * head that a checkpoint may describe. Rows are only ever added, by the store's one writer.
 */
public final class CheckpointTable {

    /** An event's place in the chain. */
    public record Link(long seq, String hash) {
    }

    private final Store store;
    private final Connection read;

    CheckpointTable(Store store, Connection read) {
        this.store = store;
        this.read = read;
    }

    /** The newest committed event, or empty for an empty log. */
    public Optional<Link> committedHead() throws StoreException {
        return link("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", null);
    }

    /** Event {@code seq}'s link, if it exists. */
    public Optional<Link> link(long seq) throws StoreException {
        return link("SELECT seq, hash FROM audit_events WHERE seq = ?", seq);
    }

    /** Stores a checkpoint, durably; one taken at the same sequence number before wins. */
    public void insert(AuditCheckpoint checkpoint) throws StoreException {
        store.write(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (seq) DO NOTHING""")) {
                insert.setLong(1, checkpoint.seq());
                insert.setString(2, checkpoint.hash());
                insert.setLong(3, checkpoint.at().toEpochMilli());
                insert.setString(4, checkpoint.keyId());
                insert.setString(5, checkpoint.signature());
                return insert.executeUpdate();
            }
        });
    }

    /** The newest checkpoint, if any. */
    public Optional<AuditCheckpoint> newest() throws StoreException {
        List<AuditCheckpoint> newest = select("SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
        return newest.stream().findFirst();
    }

    /** Checkpoints with {@code afterSeq < seq <= toSeq}, oldest first, at most {@code limit}. */
    public List<AuditCheckpoint> between(long afterSeq, long toSeq, int limit) throws StoreException {
        return select("SELECT * FROM audit_checkpoints WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", afterSeq, toSeq, limit);
    }

    /** The first checkpoint at or after event {@code seq}, if any. */
    public Optional<AuditCheckpoint> firstFrom(long seq) throws StoreException {
        return select("SELECT * FROM audit_checkpoints WHERE seq >= ? ORDER BY seq LIMIT 1", seq).stream().findFirst();
    }

    /** The first event at or after {@code since} (any event when null). */
    public OptionalLong firstSeqFrom(Instant since) throws StoreException {
        return seq("SELECT MIN(seq) FROM audit_events WHERE at >= ?", since == null ? Long.MIN_VALUE : since.toEpochMilli());
    }

    /** The last event before {@code until} (any event when null). */
    public OptionalLong lastSeqBefore(Instant until) throws StoreException {
        return seq("SELECT MAX(seq) FROM audit_events WHERE at < ?", until == null ? Long.MAX_VALUE : until.toEpochMilli());
    }

    private OptionalLong seq(String sql, long at) throws StoreException {
        synchronized (store) {
            try (PreparedStatement select = read.prepareStatement(sql)) {
                select.setLong(1, at);
                try (ResultSet rs = select.executeQuery()) {
                    long seq = rs.next() ? rs.getLong(1) : 0;
                    return rs.wasNull() || seq == 0 ? OptionalLong.empty() : OptionalLong.of(seq);
                }
            } catch (SQLException e) {
                throw new StoreException("cannot read the audit log", e);
            }
        }
    }

    private Optional<Link> link(String sql, Long seq) throws StoreException {
        synchronized (store) {
            try (PreparedStatement select = read.prepareStatement(sql)) {
                if (seq != null) {
                    select.setLong(1, seq);
                }
                try (ResultSet rs = select.executeQuery()) {
                    return rs.next() ? Optional.of(new Link(rs.getLong(1), rs.getString(2))) : Optional.empty();
                }
            } catch (SQLException e) {
                throw new StoreException("cannot read the audit log", e);
            }
        }
    }

    private List<AuditCheckpoint> select(String sql, long... parameters) throws StoreException {
        synchronized (store) {
            try (PreparedStatement select = read.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    select.setLong(i + 1, parameters[i]);
                }
                List<AuditCheckpoint> checkpoints = new ArrayList<>();
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        checkpoints.add(new AuditCheckpoint(rs.getLong("seq"), rs.getString("hash"),
                                Instant.ofEpochMilli(rs.getLong("at")), rs.getString("key_id"), rs.getString("signature")));
                    }
                }
                return checkpoints;
            } catch (SQLException e) {
                throw new StoreException("cannot read the audit checkpoints", e);
            }
        }
    }
}
