package dev.writ.ca.policy;

import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.policy.Policy;
import dev.writ.policy.PolicyException;
import dev.writ.protocol.api.PolicyFiles;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy the CA applies now, and what reloads it while the CA runs: a change in the policy
 * directory (a file written, added, renamed or removed) or {@link #reload()}. A policy that does
 * not load leaves the running one in place and is reported, with its file:line, in the log and as
 * the audit event {@code policy.reload.failed}; each policy put in place is the audit event
 * {@code policy.reloaded}. Bastions fetch the files served by {@link #files()} and so follow.
 */
public final class PolicyReloader implements Supplier<Policy>, AutoCloseable {

    public static final String RELOADED = "policy.reloaded";
    public static final String RELOAD_FAILED = "policy.reload.failed";
    /** How long the directory must stay quiet after a change before it is read: an editor writes in steps. */
    static final Duration SETTLE = Duration.ofMillis(300);
    private static final Logger LOG = LoggerFactory.getLogger(PolicyReloader.class);

    private record Loaded(Policy policy, PolicyFiles files) {
    }

    private final Path dir;
    private final Clock clock;
    private volatile Store store;
    private volatile Loaded current;
    private volatile WatchService watch;
    private Thread watcher;

    private PolicyReloader(Path dir, Clock clock, Loaded first) {
        this.dir = dir;
        this.clock = clock;
        this.current = first;
    }

    /** Loads the policy in {@code dir} once; a policy that does not load stops the start. */
    public static PolicyReloader load(Path dir, Clock clock) throws PolicyException, IOException {
        return new PolicyReloader(dir, clock, read(dir));
    }

    private static Loaded read(Path dir) throws PolicyException, IOException {
        PolicyFiles files = readFiles(dir);
        return new Loaded(Policy.load(dir), files);
    }

    /** The policy files (the same selection as {@link Policy#load}), as bastions fetch them. */
    static PolicyFiles readFiles(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path file : entries.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"))) {
                    files.put(name, Files.readString(file));
                }
            }
        }
        return new PolicyFiles(files);
    }

    @Override
    public Policy get() {
        return current.policy();
    }

    /** The files of the policy in place now. */
    public PolicyFiles files() {
        return current.files();
    }

    /** Starts watching the directory; reload events are audited in {@code auditStore}. */
    public void watch(Store auditStore) throws IOException {
        this.store = auditStore;
        watch = FileSystems.getDefault().newWatchService();
        dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        watcher = new Thread(this::watchLoop, "writ-policy-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void watchLoop() {
        try {
            while (true) {
                WatchKey key = watch.take();
                // let the directory settle: drain what follows within SETTLE, then read once
                do {
                    key.pollEvents();
                    key.reset();
                    key = watch.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
                } while (key != null);
                reload();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    /**
     * Reads the directory again and puts its policy in place when it loads and differs from the
     * running one. Returns true when a new policy is in place.
     */
    public synchronized boolean reload() {
        Loaded fresh;
        try {
            PolicyFiles files = readFiles(dir);
            if (files.equals(current.files())) {
                return false;
            }
            fresh = new Loaded(Policy.load(dir), files);
        } catch (PolicyException | IOException e) {
            String problem = e instanceof PolicyException ? e.getMessage() : "cannot read " + dir + ": " + e.getMessage();
            LOG.error("policy not reloaded, the running policy stays: {}", problem);
            audit(RELOAD_FAILED, AuditEvent.Outcome.error, Map.of("directory", dir.toString(), "problem", problem));
            return false;
        }
        current = fresh;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("directory", dir.toString());
        details.put("files", fresh.files().files().keySet().stream().toList());
        LOG.info("policy reloaded from {}: {}", dir, String.join(", ", fresh.files().files().keySet()));
        audit(RELOADED, AuditEvent.Outcome.ok, details);
        return true;
    }

    private void audit(String type, AuditEvent.Outcome outcome, Map<String, Object> details) {
        Store auditStore = store;
        if (auditStore == null) {
            return;
        }
        try {
            auditStore.audit(new AuditEvent(clock.instant(), type, "writ-ca", outcome, null, details));
        } catch (StoreException e) {
            LOG.error("cannot audit {}: {}", type, e.getMessage());
        }
    }

    @Override
    public void close() {
        WatchService service = watch;
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
