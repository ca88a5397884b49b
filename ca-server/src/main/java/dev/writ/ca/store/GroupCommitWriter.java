package dev.writ.ca.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of the store. Requests that arrive while a transaction is committing wait and
 * are committed together in the next one, so that each answer still waits for its own durable
 * commit but many answers share one fsync.
 */
final class GroupCommitWriter implements AutoCloseable {

    /** One unit of work: runs inside the batch's transaction; throws to fail only itself. */
    interface Work {
        void run(Connection connection, BatchState state) throws SQLException, StoreException;
    }

    /** State that lives across a batch and is rolled back with it (the audit chain's tail). */
    interface BatchState {
        void begin();

        /** Called inside the transaction after the batch's work, before the commit. */
        void end(Connection connection) throws SQLException;

        void rollback();
    }

    private record Task(Work work, CompletableFuture<Void> done) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
    private static final int MAX_BATCH = 512;

    private final Connection connection;
    private final BatchState state;
    private final Consumer<Long> commitNanos;
    private final BlockingQueue<Task> queue = new ArrayBlockingQueue<>(16_384);
    private final Thread thread;
    private volatile boolean running = true;

    GroupCommitWriter(Connection connection, BatchState state, Consumer<Long> commitNanos) {
        this.connection = connection;
        this.state = state;
        this.commitNanos = commitNanos;
        this.thread = new Thread(this::loop, "writ-store-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    CompletableFuture<Void> submit(Work work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!running || !queue.offer(new Task(work, done))) {
            done.completeExceptionally(new StoreException("the store is not accepting writes", null));
        }
        return done;
    }

    private void loop() {
        List<Task> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            try {
                Task first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        for (Task task; (task = queue.poll()) != null; ) {
            task.done().completeExceptionally(new StoreException("the store is closed", null));
        }
    }

    private void commit(List<Task> batch) {
        long start = System.nanoTime();
        List<Task> succeeded = new ArrayList<>(batch.size());
        state.begin();
        try {
            takeWriteLock();
            for (Task task : batch) {
                try {
                    task.work().run(connection, state);
                    succeeded.add(task);
                } catch (StoreException e) {
                    task.done().completeExceptionally(e);
                }
            }
            state.end(connection);
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            LOG.error("store commit failed: {}", e.toString());
            rollbackQuietly();
            state.rollback();
            StoreException failure = new StoreException("the store could not commit", e);
            batch.forEach(task -> task.done().completeExceptionally(failure));
            return;
        }
        commitNanos.accept(System.nanoTime() - start);
        succeeded.forEach(task -> task.done().complete(null));
    }

    /**
     * Starts the transaction with a write that changes nothing: SQLite takes the write lock now,
     * waiting its busy timeout while another process on the file holds it, rather than refusing
     * a transaction that read first and then writes (several CA processes on one file).
     */
    private void takeWriteLock() throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE audit_head SET seq = seq WHERE 1 = 0");
        }
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.error("store rollback failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
