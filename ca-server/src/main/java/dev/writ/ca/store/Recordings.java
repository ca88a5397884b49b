package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The index of stored recordings: their facts in {@code recordings}, their searchable text in
 * {@code recording_text} (one row per line, rowid = seq × 2^24 + line number): SQLite's FTS5
 * trigram table, or on PostgreSQL a table with a pg_trgm index, both matching substrings. A
 * recording, its text and its audit event are written in one transaction; searches read on a
 * connection of their own, so a long search never holds up certificate issuance.
 */
public final class Recordings {

    /** Lines of one recording that fit its rowid range; more are not indexed. */
    public static final int MAX_LINES = 1 << 24;
    private static final int LINE_BITS = 24;

    /** A line of searchable text (output, or what a marker says was run) and its time (ms from the start). */
    public record Line(long offsetMs, String text) {
    }

    /** A line that matched a search. */
    public record Hit(long offsetMs, String text) {
    }

    /** A recording that matched a search: its first {@code maxHits} matching lines, and how many matched. */
    public record Match(StoredRecording recording, List<Hit> hits, int hitCount) {
        public Match {
            hits = List.copyOf(hits);
        }
    }

    /**
     * Which recordings to find; every filter is optional.
     *
     * @param identity exactly this identity, or those starting with the text before a final {@code *}
     * @param target   exactly this target, or those starting with the text before a final {@code *}
     * @param since    sessions still running at or after this time
     * @param until    sessions that started before this time
     * @param text     a substring of the output (3 characters or more), case-insensitive
     * @param limit    at most this many recordings
     * @param maxHits  at most this many hits per recording
     */
    public record Query(String identity, String target, Instant since, Instant until, String text, int limit,
                        int maxHits) {
        public Query {
            if (limit < 1 || maxHits < 1) {
                throw new IllegalArgumentException("limit and maxHits must be positive");
            }
            if (text != null && text.codePointCount(0, text.length()) < 3) {
                throw new IllegalArgumentException("search text needs at least 3 characters");
            }
        }
    }

    /** What an insert did: stored the recording, or found its id already taken (by this digest or another). */
    public record Insert(StoredRecording recording, boolean created) {
    }

    /** The lines and characters of text indexed in one transaction of the store. */
    static final int CHUNK_LINES = 5_000;
    static final int CHUNK_CHARS = 1 << 18;

    private final Store store;
    private final Connection read;
    /** The highest seq reserved by this process; read from the store at first use. */
    private long lastSeq = -1;

    Recordings(Store store, Connection read) {
        this.store = store;
        this.read = read;
    }

    /**
     * Stores the recording: its lines first, in transactions of at most {@link #CHUNK_LINES} lines
     * or {@link #CHUNK_CHARS} characters, then the recording's row and its audit event in one
     * transaction (see {@link Indexing}). When a recording with this id is stored already,
     * changes nothing and returns that one.
     */
    public Insert insert(StoredRecording recording, List<Line> lines, AuditEvent event) throws StoreException {
        if (lines.size() > MAX_LINES) {
            throw new IllegalArgumentException("at most " + MAX_LINES + " lines per recording");
        }
        Optional<StoredRecording> stored = find(recording.id());
        if (stored.isPresent()) {
            return new Insert(stored.get(), false); // a repeated upload: nothing to index again
        }
        try (Indexing indexing = indexing()) {
            for (Line line : lines) {
                indexing.add(line);
            }
            return indexing.finish(recording, event);
        }
    }

    /** Starts indexing a new recording whose lines arrive one by one, as it is read. */
    public Indexing indexing() throws StoreException {
        return new Indexing(reserveSeq());
    }

    /**
     * One recording being indexed while it is read: its lines are written in transactions of at
     * most {@link #CHUNK_LINES} lines or {@link #CHUNK_CHARS} characters as they arrive, so that
     * memory holds one chunk whatever the recording's size and the store's other writes
     * (certificates being issued) go between them. {@link #finish} writes the recording's row and
     * its audit event in one transaction; until it commits the lines are found by no search
     * (searches join the row). Closed without finishing, the lines written are deleted.
     */
    public final class Indexing implements AutoCloseable {
        private final long seq;
        private final List<Line> chunk = new ArrayList<>();
        private long chunkChars;
        private int written;
        private boolean finished;

        private Indexing(long seq) {
            this.seq = seq;
        }

        /** Adds the next line; past {@link #MAX_LINES} lines are not indexed. */
        public void add(Line line) throws StoreException {
            if (written + chunk.size() >= MAX_LINES) {
                return;
            }
            chunk.add(line);
            chunkChars += line.text().length();
            if (chunk.size() >= CHUNK_LINES || chunkChars >= CHUNK_CHARS) {
                flush();
            }
        }

        /** The lines added (and indexed) so far. */
        public int lines() {
            return written + chunk.size();
        }

        /** Writes the last lines, then the row and its event; another row of this id stored meanwhile wins. */
        public Insert finish(StoredRecording recording, AuditEvent event) throws StoreException {
            flush();
            Insert insert = store.write(c -> {
                Optional<StoredRecording> existing = find(c, recording.id());
                if (existing.isPresent()) { // stored by a concurrent upload of the same id meanwhile
                    deleteLines(c, seq);
                    return new Insert(existing.get(), false);
                }
                StoredRecording row = recording.withSeq(seq);
                insertRow(c, row);
                store.append(event);
                return new Insert(row, true);
            });
            finished = true;
            return insert;
        }

        private void flush() throws StoreException {
            if (chunk.isEmpty()) {
                return;
            }
            int first = written;
            store.write(c -> {
                insertLines(c, seq, first, chunk);
                return null;
            });
            written += chunk.size();
            chunk.clear();
            chunkChars = 0;
        }

        @Override
        public void close() {
            if (finished || written == 0) {
                return;
            }
            try {
                store.write(c -> {
                    deleteLines(c, seq); // lines without a row are never found; this only saves their space
                    return null;
                });
            } catch (StoreException ignored) {
                // the store is failing: the orphaned lines stay invisible
            }
        }
    }

    /**
     * A seq for a new recording, never used before: above every stored row and every line
     * written (lines of an upload that failed may be left without their row). On PostgreSQL it
     * comes from the database's sequence, which every replica draws from.
     */
    private synchronized long reserveSeq() throws StoreException {
        if (store.dialect() == Dialect.POSTGRESQL) {
            try (Statement s = read.createStatement(); ResultSet rs = s.executeQuery("SELECT nextval('recording_seq')")) {
                rs.next();
                return rs.getLong(1);
            } catch (SQLException e) {
                throw new StoreException("cannot reserve a recording's number", e);
            }
        }
        if (lastSeq < 0) {
            try (Statement s = read.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT max(coalesce((SELECT max(seq) FROM recordings), 0),"
                            + " coalesce((SELECT max(rowid) FROM recording_text), 0) >> " + LINE_BITS + ")")) {
                rs.next();
                lastSeq = rs.getLong(1);
            } catch (SQLException e) {
                throw new StoreException("cannot read recordings", e);
            }
        }
        return ++lastSeq;
    }

    public synchronized Optional<StoredRecording> find(String id) throws StoreException {
        try {
            return find(read, id);
        } catch (SQLException e) {
            throw new StoreException("cannot read recordings", e);
        }
    }

    /** Recordings that pass the filters (the query's text is ignored), the latest start first. */
    public synchronized List<StoredRecording> list(Query query) throws StoreException {
        Filters filters = Filters.of(query, store.dialect());
        String sql = "SELECT * FROM recordings r WHERE 1 = 1" + filters.sql
                + " ORDER BY r.started_at DESC, r.seq DESC LIMIT ?";
        try (PreparedStatement select = read.prepareStatement(sql)) {
            int next = filters.bind(select, 1);
            select.setInt(next, query.limit());
            List<StoredRecording> found = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    found.add(row(rs));
                }
            }
            return found;
        } catch (SQLException e) {
            throw new StoreException("cannot read recordings", e);
        }
    }

    /**
     * Recordings whose output contains the query's text and that pass its filters: the most
     * recently stored first. The full-text index is walked newest row first; since one
     * recording's lines are one rowid range, its hits arrive together and the walk stops at the
     * first row past the last recording wanted.
     */
    public synchronized List<Match> search(Query query) throws StoreException {
        if (query.text() == null) {
            throw new IllegalArgumentException("a search needs text");
        }
        Filters filters = Filters.of(query, store.dialect());
        String sql = "SELECT recording_text.rowid AS rid, recording_text.offset_ms, recording_text.text, r.*"
                + " FROM recording_text JOIN recordings r ON r.seq = (recording_text.rowid >> " + LINE_BITS + ")"
                + " WHERE " + store.dialect().textMatch() + filters.sql + " ORDER BY recording_text.rowid DESC";
        List<Match> matches = new ArrayList<>();
        try (PreparedStatement select = read.prepareStatement(sql)) {
            select.setString(1, store.dialect().textPattern(query.text()));
            filters.bind(select, 2);
            try (ResultSet rs = select.executeQuery()) {
                StoredRecording current = null;
                ArrayDeque<Hit> hits = new ArrayDeque<>();
                int count = 0;
                while (rs.next()) {
                    long seq = rs.getLong("rid") >> LINE_BITS;
                    if (current == null || current.seq() != seq) {
                        if (current != null) {
                            matches.add(new Match(current, new ArrayList<>(hits), count));
                        }
                        if (matches.size() == query.limit()) {
                            current = null;
                            break;
                        }
                        current = row(rs);
                        hits.clear();
                        count = 0;
                    }
                    // rows come latest line first: keep the earliest maxHits
                    hits.addFirst(new Hit(rs.getLong("offset_ms"), rs.getString("text")));
                    if (hits.size() > query.maxHits()) {
                        hits.pollLast();
                    }
                    count++;
                }
                if (current != null) {
                    matches.add(new Match(current, new ArrayList<>(hits), count));
                }
            }
            return matches;
        } catch (SQLException e) {
            throw new StoreException("cannot search recordings", e);
        }
    }

    private static Optional<StoredRecording> find(Connection c, String id) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT * FROM recordings WHERE id = ?")) {
            select.setString(1, id);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static void insertRow(Connection c, StoredRecording r) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("""
                INSERT INTO recordings (seq, id, session_id, identity, login, target, serial, grant_id, client_address,
                                        started_at, ended_at, size, truncated, width, height, sha256, signature,
                                        bastion, bastion_key, file, stored_at, lines)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            int i = 1;
            insert.setLong(i++, r.seq());
            insert.setString(i++, r.id());
            insert.setString(i++, r.sessionId());
            insert.setString(i++, r.identity());
            insert.setString(i++, r.login());
            insert.setString(i++, r.target());
            insert.setString(i++, r.serial());
            insert.setString(i++, r.grant());
            insert.setString(i++, r.clientAddress());
            insert.setLong(i++, r.startedAt().toEpochMilli());
            insert.setLong(i++, r.endedAt().toEpochMilli());
            insert.setLong(i++, r.size());
            insert.setInt(i++, r.truncated() ? 1 : 0);
            insert.setInt(i++, r.width());
            insert.setInt(i++, r.height());
            insert.setString(i++, r.sha256());
            insert.setString(i++, r.signature());
            insert.setString(i++, r.bastion());
            insert.setString(i++, r.bastionKey());
            insert.setString(i++, r.file());
            insert.setLong(i++, r.storedAt().toEpochMilli());
            insert.setInt(i, r.lines());
            insert.executeUpdate();
        }
    }

    /** Inserts {@code lines} as the recording's lines numbered from {@code first}. */
    private static void insertLines(Connection c, long seq, int first, List<Line> lines) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO recording_text (rowid, text, offset_ms) VALUES (?, ?, ?)")) {
            long base = (seq << LINE_BITS) + first;
            for (int n = 0; n < lines.size(); n++) {
                insert.setLong(1, base + n);
                insert.setString(2, lines.get(n).text());
                insert.setLong(3, lines.get(n).offsetMs());
                insert.addBatch(); // one round trip per batch to a PostgreSQL server, not per line
                if (n % 1000 == 999) {
                    insert.executeBatch();
                }
            }
            insert.executeBatch();
        }
    }

    private static void deleteLines(Connection c, long seq) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM recording_text WHERE rowid BETWEEN ? AND ?")) {
            delete.setLong(1, seq << LINE_BITS);
            delete.setLong(2, ((seq + 1) << LINE_BITS) - 1);
            delete.executeUpdate();
        }
    }

    private static StoredRecording row(ResultSet rs) throws SQLException {
        return new StoredRecording(rs.getLong("seq"), rs.getString("id"), rs.getString("session_id"),
                rs.getString("identity"), rs.getString("login"), rs.getString("target"), rs.getString("serial"),
                rs.getString("grant_id"), rs.getString("client_address"), Instant.ofEpochMilli(rs.getLong("started_at")),
                Instant.ofEpochMilli(rs.getLong("ended_at")), rs.getLong("size"), rs.getInt("truncated") == 1,
                rs.getInt("width"), rs.getInt("height"), rs.getString("sha256"), rs.getString("signature"),
                rs.getString("bastion"), rs.getString("bastion_key"), rs.getString("file"),
                Instant.ofEpochMilli(rs.getLong("stored_at")), rs.getInt("lines"));
    }

    /** The query's filters as SQL on {@code recordings r}, and their parameters. */
    private record Filters(String sql, List<Object> params) {

        static Filters of(Query query, Dialect dialect) {
            StringBuilder sql = new StringBuilder();
            List<Object> params = new ArrayList<>();
            exactOrPrefix(sql, params, "r.identity", query.identity(), dialect);
            exactOrPrefix(sql, params, "r.target", query.target(), dialect);
            if (query.since() != null) {
                sql.append(" AND r.ended_at >= ?");
                params.add(query.since().toEpochMilli());
            }
            if (query.until() != null) {
                sql.append(" AND r.started_at < ?");
                params.add(query.until().toEpochMilli());
            }
            return new Filters(sql.toString(), params);
        }

        private static void exactOrPrefix(StringBuilder sql, List<Object> params, String column, String value,
                                          Dialect dialect) {
            if (value == null) {
                return;
            }
            if (value.endsWith("*")) {
                String prefix = value.substring(0, value.length() - 1);
                sql.append(" AND ").append(column).append(" ").append(dialect.like()).append(" ? ESCAPE '\\'");
                params.add(prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
            } else {
                sql.append(" AND ").append(column).append(" = ?");
                params.add(value);
            }
        }

        /** Binds the parameters from index {@code first}; returns the next free index. */
        int bind(PreparedStatement statement, int first) throws SQLException {
            int i = first;
            for (Object param : params) {
                statement.setObject(i++, param);
            }
            return i;
        }
    }
}
