package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What one CA replica tells the others through the database they share (migration V12): each
 * event is a row with an id one above the largest, so that readers who ask for the ids after the
 * last one they saw get every event once, in commit order.
 */
public final class ClusterEvents {

    /** One event; {@code origin} names the replica that wrote it. */
    public record Event(long id, String origin, String kind, String payload, Instant at) {
    }

    private final Store store;
    private final Connection read;

    ClusterEvents(Store store, Connection read) {
        this.store = store;
        this.read = read;
    }

    /** Appends an event, durably; returns its id. */
    public long publish(String origin, String kind, String payload, Instant now) throws StoreException {
        return store.write(connection -> NextIds.insert(connection, () -> {
            long id;
            try (PreparedStatement max = connection.prepareStatement("SELECT coalesce(max(id), 0) + 1 FROM cluster_events");
                 ResultSet rs = max.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO cluster_events (id, origin, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)")) {
                insert.setLong(1, id);
                insert.setString(2, origin);
                insert.setString(3, kind);
                insert.setString(4, payload);
                insert.setLong(5, now.toEpochMilli());
                insert.executeUpdate();
            }
            return id;
        }));
    }

    /** Events with an id above {@code afterId}, oldest first, at most {@code limit}. */
    public List<Event> after(long afterId, int limit) throws StoreException {
        return select("SELECT * FROM cluster_events WHERE id > ? ORDER BY id LIMIT ?", afterId, limit);
    }

    /** Events written at or after {@code since}, oldest first, at most {@code limit}: what a starting replica catches up on. */
    public List<Event> since(Instant since, int limit) throws StoreException {
        return select("SELECT * FROM cluster_events WHERE created_at >= ? ORDER BY id LIMIT ?", since.toEpochMilli(), limit);
    }

    /** The largest id so far, 0 when there is none. */
    public long lastId() throws StoreException {
        synchronized (store) {
            try (PreparedStatement max = read.prepareStatement("SELECT coalesce(max(id), 0) FROM cluster_events");
                 ResultSet rs = max.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            } catch (SQLException e) {
                throw new StoreException("cannot read the cluster events", e);
            }
        }
    }

    /** Deletes the events written before {@code before}, but never the newest (its id carries the sequence on). */
    public void prune(Instant before) throws StoreException {
        store.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("""
                    DELETE FROM cluster_events WHERE created_at < ?
                    AND id < (SELECT coalesce(max(id), 0) FROM cluster_events)""")) {
                delete.setLong(1, before.toEpochMilli());
                return delete.executeUpdate();
            }
        });
    }

    private List<Event> select(String sql, long value, int limit) throws StoreException {
        synchronized (store) {
            try (PreparedStatement select = read.prepareStatement(sql)) {
                select.setLong(1, value);
                select.setInt(2, limit);
                List<Event> events = new ArrayList<>();
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        events.add(new Event(rs.getLong("id"), rs.getString("origin"), rs.getString("kind"),
                                rs.getString("payload"), Instant.ofEpochMilli(rs.getLong("created_at"))));
                    }
                }
                return events;
            } catch (SQLException e) {
                throw new StoreException("cannot read the cluster events", e);
            }
        }
    }
}
