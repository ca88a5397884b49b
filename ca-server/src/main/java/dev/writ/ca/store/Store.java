package dev.writ.ca.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.writ.protocol.audit.AuditChain;
import dev.writ.protocol.audit.AuditRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.postgresql.ds.PGSimpleDataSource;
import javax.sql.DataSource;

/**
 * The CA's durable state: issued certificates, the hash-chained audit log, access requests
 * ({@link AccessRequests}), revocations ({@link RevocationTable}) and the index of session
 * recordings ({@link Recordings}), in SQLite (WAL, synchronous=FULL, one writer) or in PostgreSQL,
 * which several CA replicas share. Every write returns only once its transaction is committed.
 * Each store has one writer thread and connection; on PostgreSQL the writers of all replicas take
 * turns ({@link Dialect#lockWriters}), so that every invariant that rests on one writer (the audit
 * chain's order, a request's state, the KRL's version, a join token spent once) holds across them.
 */
public final class Store implements AutoCloseable {

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final long WRITE_TIMEOUT_SECONDS = 10;

    /** Opens a new connection to the store's database. */
    interface Connections {
        Connection open() throws SQLException;
    }

    private final Dialect dialect;
    private final Connections connections;
    private final Connection writeConnection;
    private final Connection readConnection;
    private final Connection recordingsConnection;
    private final GroupCommitWriter writer;
    private final ChainTail tail;

    private final AccessRequests accessRequests;
    private final Recordings recordings;
    private final RevocationTable revocations;
    private final CheckpointTable checkpoints;
    private final AssertionIds assertionIds;
    private final WebhookOutbox webhookOutbox;
    private final ClusterEvents clusterEvents;

    /** Statements of the writer thread, prepared once on its connection. */
    private final PreparedStatement insertCertificate;

    /** Work for the writer thread, run inside its next transaction. */
    interface Write<T> {
        T run(Connection connection) throws SQLException, StoreException;
    }

    private Store(Dialect dialect, Connections connections, Consumer<Long> commitNanos) throws SQLException {
        this.dialect = dialect;
        this.connections = connections;
        Connection writeConnection = connections.open();
        writeConnection.setAutoCommit(false);
        Connection readConnection = connections.open();
        Connection recordingsConnection = connections.open();
        this.writeConnection = writeConnection;
        this.readConnection = readConnection;
        this.recordingsConnection = recordingsConnection;
        this.insertCertificate = writeConnection.prepareStatement("""
                INSERT INTO certificates (serial, kind, key_id, principals, valid_after, valid_before, key_fingerprint,
                                          identity, issuer, client_address, roles, issued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (serial) DO NOTHING""");
        this.tail = new ChainTail(writeConnection, dialect);
        this.writer = new GroupCommitWriter(writeConnection, tail, commitNanos);
        this.accessRequests = new AccessRequests(this, readConnection);
        this.recordings = new Recordings(this, recordingsConnection);
        this.revocations = new RevocationTable(this, readConnection);
        this.checkpoints = new CheckpointTable(this, readConnection);
        this.assertionIds = new AssertionIds(this);
        this.webhookOutbox = new WebhookOutbox(this, readConnection);
        this.clusterEvents = new ClusterEvents(this, readConnection);
    }

    /** Opens (creating and migrating when needed) the SQLite database at {@code file}. */
    public static Store openSqlite(Path file, Consumer<Long> commitNanos) throws StoreException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            config.setBusyTimeout(5_000);
            config.enforceForeignKeys(true);
            SQLiteDataSource dataSource = new SQLiteDataSource(config);
            dataSource.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
            migrate(dataSource, Dialect.SQLITE);
            return new Store(Dialect.SQLITE, dataSource::getConnection, commitNanos);
        } catch (Exception e) {
            throw new StoreException("cannot open the store at " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the PostgreSQL database at {@code location} as its user with {@code password} (null
     * when the server asks for none), migrating it when needed. Several CA replicas may start at
     * once: Flyway holds a lock on the database while it migrates, so the migrations run once.
     */
    public static Store openPostgresql(PostgresLocation location, String password, Consumer<Long> commitNanos)
            throws StoreException {
        try {
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(location.jdbcUrl());
            dataSource.setUser(location.user());
            if (password != null) {
                dataSource.setPassword(password);
            }
            dataSource.setApplicationName("writ-ca");
            dataSource.setTcpKeepAlive(true);
            dataSource.setReWriteBatchedInserts(true);
            dataSource.setConnectTimeout(10);
            migrate(dataSource, Dialect.POSTGRESQL);
            return new Store(Dialect.POSTGRESQL, dataSource::getConnection, commitNanos);
        } catch (Exception e) {
            // the driver's messages name the host, the database and the user, never the password
            throw new StoreException("cannot open the store at " + location + ": " + e.getMessage(), e);
        }
    }

    private static void migrate(DataSource dataSource, Dialect dialect) {
        Flyway.configure().dataSource(dataSource).locations(dialect.migrationLocations().toArray(String[]::new))
                .failOnMissingLocations(false).load().migrate();
    }

    /** Which database this store is in: for the SQL that differs ({@link Dialect}). */
    public Dialect dialect() {
        return dialect;
    }

    /** A new read-write connection of the caller's own (autocommit on), closed by the caller. */
    public Connection openConnection() throws StoreException {
        try {
            Connection connection = connections.open();
            connection.setAutoCommit(true);
            return connection;
        } catch (SQLException e) {
            throw new StoreException("cannot connect to the store: " + e.getMessage(), e);
        }
    }

    /**
     * A new read-only connection of the caller's own to the store's database (the KRL reads its
     * table on one), closed by the caller.
     */
    public Connection openReadOnly() throws StoreException {
        try {
            Connection connection = connections.open();
            if (dialect == Dialect.SQLITE) {
                try (Statement s = connection.createStatement()) {
                    s.execute("PRAGMA query_only = true");
                }
            } else {
                connection.setReadOnly(true);
            }
            return connection;
        } catch (SQLException e) {
            throw new StoreException("cannot connect to the store: " + e.getMessage(), e);
        }
    }

    /** Records an issued certificate and its audit event in one transaction. */
    public void recordIssuance(IssuedCertificate certificate, AuditEvent event) throws StoreException {
        String details = canonical(event);
        await(writer.submit((connection, state) -> {
            insertCertificate(certificate);
            tail.append(event, details);
        }));
    }

    /**
     * Records a certificate that carries access grants: refused with {@link AccessConflict} when a
     * grant is no longer active, else stored with its grants and its audit event in one transaction.
     */
    public void recordIssuance(IssuedCertificate certificate, List<String> grantIds, AuditEvent event)
            throws StoreException {
        if (grantIds.isEmpty()) {
            recordIssuance(certificate, event);
            return;
        }
        String details = canonical(event);
        await(writer.submit((connection, state) -> {
            accessRequests.checkActive(connection, grantIds, certificate.issuedAt());
            insertCertificate(certificate);
            accessRequests.link(connection, certificate.serial(), grantIds);
            tail.append(event, details);
        }));
    }

    /** Access requests, reviews and grants. */
    public AccessRequests accessRequests() {
        return accessRequests;
    }

    /** Session recordings and their full-text index. */
    public Recordings recordings() {
        return recordings;
    }

    /** Revoked certificates and keys. */
    public RevocationTable revocations() {
        return revocations;
    }

    /** Signed checkpoints of the audit chain. */
    public CheckpointTable checkpoints() {
        return checkpoints;
    }

    /** The ids of accepted bastion assertions, single-use across replicas. */
    public AssertionIds assertionIds() {
        return assertionIds;
    }

    /** Webhook deliveries waiting to be made. */
    public WebhookOutbox webhookOutbox() {
        return webhookOutbox;
    }

    /** What replicas on this database tell each other. */
    public ClusterEvents clusterEvents() {
        return clusterEvents;
    }

    /** Runs {@code work} in the writer's next transaction and returns its result once committed. */
    <T> T write(Write<T> work) throws StoreException {
        List<T> result = new ArrayList<>(1);
        await(writer.submit((connection, state) -> result.add(work.run(connection))));
        return result.get(0);
    }

    /** Appends an audit event to the current transaction: only inside {@link #write}. */
    void append(AuditEvent event) throws SQLException {
        tail.append(event, canonical(event));
    }

    /** Appends one audit event, durably. */
    public void audit(AuditEvent event) throws StoreException {
        String details = canonical(event);
        await(writer.submit((connection, state) -> tail.append(event, details)));
    }

    /** An event a bastion reported, with the id its spool gave it (null from a bastion without one). */
    public record ReportedEvent(BastionEventId id, AuditEvent event) {
    }

    /**
     * Appends what a bastion reported, in order, in one transaction; an event whose id is stored
     * already is skipped, and each new id is stored with its event. Returns, for each event,
     * whether it was new.
     */
    public List<Boolean> auditOnce(List<ReportedEvent> events) throws StoreException {
        List<String> details = events.stream().map(e -> canonical(e.event())).toList();
        return write(connection -> {
            List<Boolean> stored = new ArrayList<>(events.size());
            for (int i = 0; i < events.size(); i++) {
                BastionEventId id = events.get(i).id();
                if (id != null && BastionAuditIds.known(connection, id)) {
                    stored.add(false);
                    continue;
                }
                long seq = tail.append(events.get(i).event(), details.get(i));
                if (id != null) {
                    BastionAuditIds.insert(connection, id, seq);
                }
                stored.add(true);
            }
            return stored;
        });
    }

    private void insertCertificate(IssuedCertificate c) throws SQLException, StoreException {
        PreparedStatement insert = insertCertificate;
        {
            insert.setLong(1, c.serial());
            insert.setString(2, c.kind());
            insert.setString(3, c.keyId());
            insert.setString(4, json(c.principals()));
            insert.setLong(5, c.validAfter().getEpochSecond());
            insert.setLong(6, c.validBefore().getEpochSecond());
            insert.setString(7, c.keyFingerprint());
            insert.setString(8, c.identity());
            insert.setString(9, c.issuer());
            insert.setString(10, c.clientAddress());
            insert.setString(11, json(c.roles()));
            insert.setLong(12, c.issuedAt().toEpochMilli());
            // a serial in use (on any replica) inserts nothing rather than failing the transaction
            if (insert.executeUpdate() == 0) {
                throw new SerialConflictException(c.serial());
            }
        }
    }

    /** The certificate with this serial, if the CA issued it. */
    public synchronized java.util.Optional<IssuedCertificate> certificate(long serial) throws StoreException {
        try (PreparedStatement select = readConnection.prepareStatement(
                "SELECT * FROM certificates WHERE serial = ?")) {
            select.setLong(1, serial);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? java.util.Optional.of(issued(rs)) : java.util.Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read certificate", e);
        }
    }

    /** The row of {@code certificates} at the result set's cursor. */
    static IssuedCertificate issued(ResultSet rs) throws SQLException {
        try {
            return new IssuedCertificate(rs.getLong("serial"), rs.getString("kind"),
                    rs.getString("key_id"), List.of(CANONICAL.readValue(rs.getString("principals"), String[].class)),
                    Instant.ofEpochSecond(rs.getLong("valid_after")), Instant.ofEpochSecond(rs.getLong("valid_before")),
                    rs.getString("key_fingerprint"), rs.getString("identity"), rs.getString("issuer"),
                    rs.getString("client_address"), List.of(CANONICAL.readValue(rs.getString("roles"), String[].class)),
                    Instant.ofEpochMilli(rs.getLong("issued_at")));
        } catch (JsonProcessingException e) {
            throw new SQLException("certificate " + rs.getLong("serial") + " has unreadable principals or roles", e);
        }
    }

    // ---- host certificates and join tokens (V2)

    /**
     * Records a host certificate, what it was issued under and its audit event in one
     * transaction; when a join token was spent on it, the token is marked spent in that same
     * transaction, or nothing is recorded ({@link JoinTokenSpentException}).
     */
    public void recordHostIssuance(IssuedCertificate certificate, HostProvenance provenance, AuditEvent event)
            throws StoreException {
        String details = canonical(event);
        await(writer.submit((connection, state) -> allOrNothing(connection, () -> {
            insertCertificate(certificate);
            if (provenance.joinToken() != null) {
                HostTables.spendJoinToken(connection, provenance.joinToken(), certificate.serial(), certificate.issuedAt());
            }
            HostTables.insertHostCertificate(connection, certificate.serial(), provenance);
            tail.append(event, details);
        })));
    }

    /** Stores a new join token and its audit event in one transaction. */
    public void createJoinToken(JoinToken token, AuditEvent event) throws StoreException {
        String details = canonical(event);
        await(writer.submit((connection, state) -> {
            HostTables.insertJoinToken(connection, token);
            tail.append(event, details);
        }));
    }

    /** The join token whose secret hashes to {@code hash}, spent or not. */
    public synchronized java.util.Optional<JoinToken> joinToken(String hash) throws StoreException {
        try {
            return HostTables.joinToken(readConnection, hash);
        } catch (SQLException e) {
            throw new StoreException("cannot read join token", e);
        }
    }

    /** What the host certificate with this serial was issued under; empty for unknown serials and user certificates. */
    public synchronized java.util.Optional<HostProvenance> hostProvenance(long serial) throws StoreException {
        try {
            return HostTables.hostProvenance(readConnection, serial);
        } catch (SQLException e) {
            throw new StoreException("cannot read host certificate", e);
        }
    }

    /**
     * Whether a certificate is revoked: by its serial, its key id or its key's fingerprint (the
     * one revocation table that the KRL is built from).
     */
    public boolean isRevoked(long serial, String keyId, String keyFingerprint) throws StoreException {
        return revocations.isRevoked(serial, keyId, keyFingerprint);
    }

    private interface Steps {
        void run() throws SQLException, StoreException;
    }

    /**
     * Runs several writes of one request inside a savepoint. The group-commit writer fails only
     * the request that throws a {@link StoreException} and commits the rest of its batch, so a
     * request that can refuse after its first write (a spent join token, a repeated serial) must
     * take its own earlier writes back; a {@link SQLException} still fails the whole batch.
     */
    private static void allOrNothing(Connection connection, Steps steps) throws SQLException, StoreException {
        Savepoint savepoint = connection.setSavepoint();
        try {
            steps.run();
        } catch (StoreException e) {
            connection.rollback(savepoint);
            throw e;
        }
        connection.releaseSavepoint(savepoint);
    }

    /** Audit events with {@code seq > afterSeq}, oldest first, at most {@code limit}. */
    public List<StoredAuditEvent> auditEvents(long afterSeq, int limit) throws StoreException {
        return auditEvents(AuditQuery.all(afterSeq, limit));
    }

    /** Audit events that pass the query's filters, oldest first. */
    public synchronized List<StoredAuditEvent> auditEvents(AuditQuery query) throws StoreException {
        String prefix = query.typePrefixPattern();
        String type = prefix == null ? query.type() : null;
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_events WHERE seq > ?");
        List<Object> params = new ArrayList<>(List.of(query.afterSeq()));
        if (query.actor() != null) {
            sql.append(" AND actor = ?");
            params.add(query.actor());
        }
        if (prefix != null) {
            sql.append(" AND type ").append(dialect.like()).append(" ? ESCAPE '\\'");
            params.add(prefix);
        } else if (type != null) {
            sql.append(" AND type = ?");
            params.add(type);
        }
        if (query.since() != null) {
            sql.append(" AND at >= ?");
            params.add(query.since().toEpochMilli());
        }
        if (query.until() != null) {
            sql.append(" AND at < ?");
            params.add(query.until().toEpochMilli());
        }
        sql.append(" ORDER BY seq LIMIT ?");
        params.add(query.limit());
        try (PreparedStatement select = readConnection.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
                select.setObject(i + 1, params.get(i));
            }
            List<StoredAuditEvent> events = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    events.add(new StoredAuditEvent(rs.getLong("seq"), Instant.ofEpochMilli(rs.getLong("at")),
                            rs.getString("type"), rs.getString("actor"), rs.getString("outcome"),
                            rs.getString("client_address"), rs.getString("details"), rs.getString("prev_hash"),
                            rs.getString("hash")));
                }
            }
            return events;
        } catch (SQLException e) {
            throw new StoreException("cannot read the audit log", e);
        }
    }

    /**
     * Re-checks the whole audit hash chain against the stored head: the head is read first, and
     * the events up to it, so that events other writers (or replicas) append meanwhile are left
     * for the next check.
     */
    public AuditChain.Verification verifyAudit() throws StoreException {
        Long headSeq = null;
        String headHash = null;
        synchronized (this) {
            try (Statement s = readConnection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT seq, hash FROM audit_head WHERE id = 1")) {
                if (rs.next()) {
                    headSeq = rs.getLong(1);
                    headHash = rs.getString(2);
                }
            } catch (SQLException e) {
                throw new StoreException("cannot read the audit head", e);
            }
        }
        List<StoredAuditEvent> all = new ArrayList<>();
        long after = 0;
        for (List<StoredAuditEvent> page; !(page = auditEvents(after, 10_000)).isEmpty(); ) {
            for (StoredAuditEvent event : page) {
                if (headSeq == null || event.seq() <= headSeq) {
                    all.add(event);
                }
            }
            after = page.get(page.size() - 1).seq();
            if (headSeq != null && after >= headSeq) {
                break;
            }
        }
        List<AuditRecord> records = all.stream().map(StoredAuditEvent::toRecord).toList();
        return AuditChain.verify(records, headSeq, headHash);
    }

    /** True when the database answers a query: for {@code /readyz}. */
    public synchronized boolean isReachable() {
        try (Statement s = readConnection.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        writer.close();
        try {
            writeConnection.close();
            readConnection.close();
            recordingsConnection.close();
        } catch (SQLException ignored) {
            // closing: nothing left to protect
        }
    }

    private static void await(CompletableFuture<Void> done) throws StoreException {
        try {
            done.get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("the store failed", e.getCause());
        } catch (TimeoutException e) {
            throw new StoreException("the store did not commit within " + WRITE_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while writing", e);
        }
    }

    static String canonical(AuditEvent event) {
        return json(event.details());
    }

    private static String json(Object value) {
        try {
            return CANONICAL.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serializable to JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The audit chain's last sequence number and hash, read from the head row at the start of each
     * batch (after the writers' lock, so another replica's appends are seen) and written back once
     * at its end.
     */
    private static final class ChainTail implements GroupCommitWriter.BatchState {
        private final Dialect dialect;
        private final PreparedStatement insertEvent;
        private final PreparedStatement selectHead;
        private final PreparedStatement updateHead;
        private long seq;
        private String hash;
        private long headSeq;

        private ChainTail(Connection connection, Dialect dialect) throws SQLException {
            this.dialect = dialect;
            insertEvent = connection.prepareStatement("""
                    INSERT INTO audit_events (seq, at, type, actor, outcome, client_address, details, prev_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""");
            selectHead = connection.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1");
            updateHead = connection.prepareStatement("""
                    INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash""");
        }

        /** Appends the event after the tail; returns its sequence number. */
        long append(AuditEvent event, String details) throws SQLException {
            long next = seq + 1;
            long at = event.at().toEpochMilli();
            String outcome = event.outcome().name();
            String newHash = AuditChain.hash(hash, next, at, event.type(), event.actor(), outcome, event.clientAddress(), details);
            insertEvent.setLong(1, next);
            insertEvent.setLong(2, at);
            insertEvent.setString(3, event.type());
            insertEvent.setString(4, event.actor());
            insertEvent.setString(5, outcome);
            insertEvent.setString(6, event.clientAddress());
            insertEvent.setString(7, details);
            insertEvent.setString(8, hash);
            insertEvent.setString(9, newHash);
            insertEvent.executeUpdate();
            seq = next;
            hash = newHash;
            return next;
        }

        @Override
        public void begin(Connection connection) throws SQLException {
            dialect.lockWriters(connection);
            seq = 0;
            hash = AuditChain.GENESIS;
            try (ResultSet rs = selectHead.executeQuery()) {
                if (rs.next()) {
                    seq = rs.getLong(1);
                    hash = rs.getString(2);
                }
            }
            headSeq = seq;
        }

        /** The head moves once per transaction, to the batch's last event. */
        @Override
        public void end(Connection connection) throws SQLException {
            if (seq != headSeq) {
                updateHead.setLong(1, seq);
                updateHead.setString(2, hash);
                updateHead.executeUpdate();
            }
        }
    }
}
