package dev.writ.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.testing.Auditor;
import dev.writ.ca.testing.ChildCa;
import dev.writ.ca.testing.RecordingBastion;
import dev.writ.ca.testing.S3Server;
import dev.writ.ca.testing.TestCa;
import dev.writ.ca.testing.TestCast;
import dev.writ.ca.testing.TestDatabase;
import dev.writ.ca.testing.TestIdp;
import dev.writ.protocol.krl.Krl;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system with two CA processes (JVMs of their own) on one PostgreSQL database and one
 * S3 bucket, sharing their config and keys as replicas do: certificates, access requests with
 * racing reviewers, revocations and recording uploads go through both at once; one replica is
 * killed with SIGKILL in the middle and the load carries on against the other. Afterwards every
 * answer a client received is in the store, the audit chain is one line that both the survivor and
 * the restarted replica verify, both serve the same KRL, and each recording reads back from the
 * replica that did not take it.
 */
class ReplicasUnderLoadTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                ttl: 1h
                max_ttl: 8h
              - name: db-admin
                principals: [dbadmin]
                max_ttl: 1h
                requestable:
                  requesters: [{ match: { groups: [engineering] } }]
                  approvers: [{ match: { groups: [dba] } }]
                  approvals: 2
                  max_duration: 4h
                  reason_required: false
            admins:
              - match: { groups: [writ-admins] }
            auditors:
              - match: { groups: [security] }
            """;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final List<String> REVIEWERS = List.of("dina@example.com", "dirk@example.com", "dora@example.com");

    @TempDir
    Path dir;
    TestDatabase db;
    TestIdp idp;
    S3Server s3;
    RecordingBastion bastion;
    final List<ChildCa> processes = new ArrayList<>();

    /** A replica as the load sees it: its URL, and whether it has been killed. */
    record Replica(String name, String url, AtomicBoolean dead) {
        boolean alive() {
            return !dead.get();
        }
    }

    // what clients were told, and where
    final List<String> serialsReceived = new CopyOnWriteArrayList<>();
    final Set<String> revokedAcknowledged = ConcurrentHashMap.newKeySet();
    final Map<String, String> approvedAcknowledged = new ConcurrentHashMap<>();
    final List<String> reviewsAcknowledged = new CopyOnWriteArrayList<>();
    final Map<String, byte[]> recordings = new ConcurrentHashMap<>();
    final Map<String, String> recordingStoredBy = new ConcurrentHashMap<>();
    final List<String> problems = new CopyOnWriteArrayList<>();
    final AtomicInteger lostInFlight = new AtomicInteger();
    final Map<String, AtomicInteger> acknowledged = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        processes.forEach(ChildCa::close);
        if (s3 != null) {
            s3.close();
        }
        if (idp != null) {
            idp.close();
        }
        if (db != null) {
            db.close();
        }
    }

    Path secretFile(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.writeString(file, content + "\n");
    }

    /** The config both replicas run with: one database, one bucket, one key directory. */
    Path config(String name) throws IOException {
        return Files.writeString(dir.resolve(name + ".yaml"), """
                listen: 127.0.0.1:0
                store: %s
                store_password_file: ./store-password
                keys: ./keys
                policies: ./policies
                issuers:
                  - url: %s
                    audience: writ
                recordings:
                  store: s3
                  endpoint: %s
                  bucket: recordings
                  path_style: true
                  access_key_id: %s
                  secret_access_key_file: ./s3.secret
                  part_size_mib: 5
                """.formatted(db.storeUrl(), idp.issuerUrl(), s3.url(), s3.accessKeyId())
                + bastion.config() + TestCa.NO_RATE_LIMITS);
    }

    ChildCa startReplica(Path config, String log) throws Exception {
        ChildCa ca = ChildCa.start(config, dir.resolve(log), "256m");
        processes.add(ca);
        return ca;
    }

    @Test
    void twoReplicasUnderLoadOneKilledLeaveOneConsistentStore() throws Exception {
        Instant began = Instant.now();
        db = TestDatabase.Kind.POSTGRESQL.create(dir);
        idp = new TestIdp();
        s3 = S3Server.start(dir.resolve("s3"));
        s3.createBucket("recordings");
        bastion = RecordingBastion.generate("bastion-1");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/policy.yaml"), POLICY);
        secretFile("store-password", db.password());
        secretFile("s3.secret", s3.secret());
        Path configA = config("ca-a");
        Path configB = config("ca-b");
        ChildCa a = startReplica(configA, "ca-a.log");
        ChildCa b = startReplica(configB, "ca-b.log");
        Replica replicaA = new Replica("a", a.url(), new AtomicBoolean());
        Replica replicaB = new Replica("b", b.url(), new AtomicBoolean());
        List<Replica> replicas = List.of(replicaA, replicaB);
        String admin = idp.idToken("root@example.com", List.of("writ-admins"));
        String auditor = idp.idToken("hal@example.com", List.of("security"));

        AtomicBoolean stopping = new AtomicBoolean();
        ExecutorService load = Executors.newFixedThreadPool(7);
        ExecutorService reviewers = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        try {
            for (int w = 0; w < 4; w++) {
                int worker = w;
                workers.add(load.submit(() -> issueAndRevoke(worker, replicas, admin, stopping)));
            }
            for (int w = 0; w < 2; w++) {
                int worker = w;
                workers.add(load.submit(() -> requestAndReview(worker, replicas, reviewers, stopping)));
            }
            workers.add(load.submit(() -> uploadRecordings(replicas, stopping)));

            // kill B once it has done some of everything, then let A carry on alone
            awaitLoad(() -> count("b", "certificate") >= 15 && count("b", "recording") >= 2
                    && count("b", "approval") >= 1 && count("b", "revocation") >= 2, "replica b under load");
            replicaB.dead().set(true); // first, so that requests cut off in flight count as lost, not as faults
            b.kill();
            int certificatesBefore = count("a", "certificate");
            int recordingsBefore = count("a", "recording");
            int approvalsBefore = count("a", "approval");
            awaitLoad(() -> count("a", "certificate") >= certificatesBefore + 30
                    && count("a", "recording") >= recordingsBefore + 2
                    && count("a", "approval") >= approvalsBefore + 2, "replica a alone under load");
        } finally {
            stopping.set(true);
            for (Future<?> worker : workers) {
                worker.get(120, TimeUnit.SECONDS);
            }
            load.shutdownNow();
            reviewers.shutdownNow();
        }
        Instant loadEnded = Instant.now();
        assertEquals(List.of(), problems, "answers no client should get");

        ChildCa restarted = startReplica(configB, "ca-b-restarted.log");
        Replica replicaB2 = new Replica("b", restarted.url(), new AtomicBoolean());

        // serials unique, and each certificate a client received has its row and its audit event
        assertEquals(serialsReceived.size(), new HashSet<>(serialsReceived).size(), "serials answered twice");
        assertEquals(db.count("SELECT COUNT(*) FROM certificates"), db.count("SELECT COUNT(DISTINCT serial) FROM certificates"));
        Set<String> audited = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT details FROM audit_events WHERE type = 'certificate.issued'")) {
            while (rs.next()) {
                assertTrue(audited.add(JSON.readTree(rs.getString(1)).get("serial").asText()), "one event per serial");
            }
        }
        List<String> unaudited = serialsReceived.stream().filter(serial -> !audited.contains(serial)).toList();
        assertEquals(List.of(), unaudited, "certificates received without their certificate.issued event");

        // one audit chain: sequence numbers without a gap, each event linked to the one before, the head on the last
        long events = 0;
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq")) {
            long previousSeq = -1;
            String previousHash = null;
            while (rs.next()) {
                if (previousHash != null) {
                    assertEquals(previousSeq + 1, rs.getLong(1), "a gap in the audit sequence");
                    assertEquals(previousHash, rs.getString(2), "a fork in the audit chain at " + rs.getLong(1));
                }
                previousSeq = rs.getLong(1);
                previousHash = rs.getString(3);
                events++;
            }
            try (ResultSet head = s.executeQuery("SELECT seq, hash FROM audit_head")) {
                assertTrue(head.next());
                assertEquals(previousSeq, head.getLong(1));
                assertEquals(previousHash, head.getString(2));
            }
        }
        for (Replica replica : List.of(replicaA, replicaB2)) {
            HttpResponse<String> verified = get(replica.url(), "/v1/audit/verify", auditor);
            assertEquals(200, verified.statusCode(), verified.body());
            JsonNode answer = JSON.readTree(verified.body());
            assertTrue(answer.get("ok").asBoolean(), replica.name() + ": " + answer);
            assertEquals(events, answer.get("events").asLong(), replica.name() + ": " + answer);
        }

        // the same KRL from both, listing every revocation that was acknowledged
        byte[] krlA = krl(replicaA.url());
        byte[] krlB = krl(replicaB2.url());
        assertArrayEquals(krlA, krlB, "the survivor and the restarted replica serve the same KRL");
        Krl krl = Krl.decode(krlA);
        Set<Long> listed = new HashSet<>();
        krl.certificates().forEach(revocations -> listed.addAll(revocations.serials()));
        List<String> missing = revokedAcknowledged.stream()
                .filter(serial -> !listed.contains(Long.parseUnsignedLong(serial))).toList();
        assertEquals(List.of(), missing, "acknowledged revocations missing from the KRL");

        // access requests: exactly the approvals needed, no reviewer twice, every acknowledged review stored
        assertEquals(0, db.count("SELECT COUNT(*) FROM access_requests r WHERE r.state = 'approved' AND r.approvals_required"
                + " <> (SELECT COUNT(*) FROM access_reviews v WHERE v.request_id = r.id AND v.decision = 'approve')"));
        assertEquals(0, db.count("SELECT COUNT(*) FROM (SELECT request_id, reviewer FROM access_reviews"
                + " GROUP BY request_id, reviewer HAVING COUNT(*) > 1) twice"));
        assertEquals(0, db.count("SELECT COUNT(*) FROM access_requests r WHERE r.state = 'pending' AND r.approvals_required"
                + " <= (SELECT COUNT(*) FROM access_reviews v WHERE v.request_id = r.id AND v.decision = 'approve')"),
                "a request with enough approvals left pending");
        for (String id : approvedAcknowledged.keySet()) {
            assertEquals(1, db.count("SELECT COUNT(*) FROM access_requests WHERE id = '" + id + "' AND state = 'approved'"), id);
        }
        for (String review : reviewsAcknowledged) {
            String[] parts = review.split(" ");
            assertEquals(1, db.count("SELECT COUNT(*) FROM access_reviews WHERE request_id = '" + parts[0]
                    + "' AND reviewer = '" + parts[1] + "'"), review);
        }

        // every acknowledged recording reads back and verifies through the replica that did not take it
        Map<String, Auditor> auditors = Map.of("a", new Auditor(replicaB2.url(), auditor),
                "b", new Auditor(replicaA.url(), auditor));
        for (Map.Entry<String, byte[]> recording : recordings.entrySet()) {
            Auditor other = auditors.get(recordingStoredBy.get(recording.getKey()));
            HttpResponse<byte[]> download = other.download(recording.getKey());
            assertEquals(200, download.statusCode(), recording.getKey());
            assertArrayEquals(recording.getValue(), download.body(), recording.getKey());
            JsonNode verified = other.verify(recording.getKey());
            assertTrue(verified.get("ok").asBoolean(), verified.toString());
        }

        System.out.printf("replicas under load: %d certificates (%d through b before its kill), %d revocations,"
                        + " %d approved requests, %d recordings, %d requests lost in flight; %d audit events;"
                        + " load %d s, whole test %d s%n", serialsReceived.size(), count("b", "certificate"),
                revokedAcknowledged.size(), approvedAcknowledged.size(), recordings.size(), lostInFlight.get(), events,
                Duration.between(began, loadEnded).toSeconds(), Duration.between(began, Instant.now()).toSeconds());
    }

    // ---- the load

    void issueAndRevoke(int worker, List<Replica> replicas, String admin, AtomicBoolean stopping) {
        String token = idp.idToken("eng" + worker + "@example.com", List.of("engineering"));
        for (int i = 0; !stopping.get(); i++) {
            Replica replica = pick(replicas, worker + i);
            HttpResponse<String> issued = send(replica, "/v1/certs/user", token, certificateRequest());
            if (issued == null) {
                continue;
            }
            if (issued.statusCode() != 201) {
                problems.add(replica.name() + " issuing: " + issued.statusCode() + " " + issued.body());
                continue;
            }
            String serial = field(issued, "serial");
            serialsReceived.add(serial);
            count(replica.name(), "certificate", 1);
            if (i % 4 == 3) {
                Replica other = pick(replicas, worker + i + 1);
                HttpResponse<String> revoked = send(other, "/v1/revocations", admin,
                        "{\"serial\":\"" + serial + "\",\"reason\":\"key left on a shared host\"}");
                if (revoked == null) {
                    continue;
                }
                if (revoked.statusCode() != 200) {
                    problems.add(other.name() + " revoking: " + revoked.statusCode() + " " + revoked.body());
                    continue;
                }
                revokedAcknowledged.add(serial);
                count(other.name(), "revocation", 1);
            }
        }
    }

    /**
     * Requests the two-approval role, then lets three reviewers race on both replicas (the first
     * twice, once through each): two approvals approve it, the third reviewer is told it is too late.
     * The requester's next certificate, from the other replica, carries the role.
     */
    void requestAndReview(int worker, List<Replica> replicas, ExecutorService reviewers, AtomicBoolean stopping) {
        for (int i = 0; !stopping.get(); i++) {
            Replica replica = pick(replicas, worker + i);
            String requester = idp.idToken("req" + worker + "-" + i + "@example.com", List.of("engineering"));
            HttpResponse<String> requested = send(replica, "/v1/access-requests", requester,
                    "{\"role\":\"db-admin\",\"duration\":\"1h\"}");
            if (requested == null) {
                continue;
            }
            if (requested.statusCode() != 201) {
                problems.add(replica.name() + " requesting: " + requested.statusCode() + " " + requested.body());
                continue;
            }
            String id = field(requested, "id");
            List<Future<?>> racing = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                String reviewer = REVIEWERS.get(r == 3 ? 0 : r);
                Replica through = pick(replicas, i + r);
                racing.add(reviewers.submit(() -> review(through, id, reviewer)));
            }
            for (Future<?> review : racing) {
                try {
                    review.get(120, TimeUnit.SECONDS);
                } catch (Exception e) {
                    problems.add("review of " + id + ": " + e);
                }
            }
            if (approvedAcknowledged.containsKey(id)) {
                Replica other = pick(replicas, worker + i + 1);
                HttpResponse<String> issued = send(other, "/v1/certs/user", requester, certificateRequest());
                if (issued != null && (issued.statusCode() != 201 || !field(issued, "principals").contains("dbadmin"))) {
                    problems.add(other.name() + " issuing after approval of " + id + ": " + issued.statusCode() + " "
                            + issued.body());
                } else if (issued != null) {
                    String serial = field(issued, "serial");
                    serialsReceived.add(serial);
                }
            }
        }
    }

    void review(Replica replica, String id, String reviewer) {
        HttpResponse<String> reviewed = send(replica, "/v1/access-requests/" + id + "/reviews",
                idp.idToken(reviewer, List.of("dba")), "{\"decision\":\"approve\"}");
        if (reviewed == null || reviewed.statusCode() == 409) {
            return; // lost in flight, or reviewed already / decided already: both are what a race may answer
        }
        if (reviewed.statusCode() != 201) {
            problems.add(replica.name() + " reviewing " + id + ": " + reviewed.statusCode() + " " + reviewed.body());
            return;
        }
        reviewsAcknowledged.add(id + " " + reviewer);
        if (field(reviewed, "state").equals("approved")) {
            if (approvedAcknowledged.putIfAbsent(id, reviewer) != null) {
                problems.add(id + " answered approved twice");
            }
            count(replica.name(), "approval", 1);
        }
    }

    void uploadRecordings(List<Replica> replicas, AtomicBoolean stopping) {
        for (int i = 0; !stopping.get(); i++) {
            Replica replica = pick(replicas, i);
            String id = "rec-" + i;
            byte[] body = TestCast.session("s-" + i, "eng" + i + "@example.com", "root", "web01.prod")
                    .output(0.5, "$ ").output(1.0, "sudo systemctl restart app-" + i + "\r\n").output(2.0, "$ exit\r\n")
                    .bytes();
            HttpResponse<String> stored;
            try {
                stored = bastion.upload(replica.url(), id, body);
            } catch (IOException e) {
                lostInFlight.incrementAndGet();
                continue;
            } catch (Exception e) {
                problems.add(replica.name() + " uploading " + id + ": " + e);
                continue;
            }
            if (stored.statusCode() != 201) {
                problems.add(replica.name() + " uploading " + id + ": " + stored.statusCode() + " " + stored.body());
                continue;
            }
            recordings.put(id, body);
            recordingStoredBy.put(id, replica.name());
            count(replica.name(), "recording", 1);
        }
    }

    // ---- helpers

    /** The {@code n}th replica round the ring, skipping a dead one. */
    static Replica pick(List<Replica> replicas, int n) {
        Replica replica = replicas.get(Math.floorMod(n, replicas.size()));
        return replica.alive() ? replica : replicas.stream().filter(Replica::alive).findFirst().orElseThrow();
    }

    static String certificateRequest() {
        try {
            String key = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic());
            return "{\"public_key\":" + JSON.writeValueAsString(key) + "}";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String field(HttpResponse<String> response, String name) {
        try {
            JsonNode value = JSON.readTree(response.body()).get(name);
            return value.isTextual() ? value.asText() : value.toString();
        } catch (IOException e) {
            throw new IllegalStateException(response.body(), e);
        }
    }

    /** POSTs {@code json}; null when the connection failed (a killed replica: the client got no answer). */
    HttpResponse<String> send(Replica replica, String path, String bearer, String json) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(replica.url() + path)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + bearer)
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            lostInFlight.incrementAndGet();
            if (replica.alive()) {
                problems.add(replica.name() + " " + path + ": " + e);
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static HttpResponse<String> get(String url, String path, String bearer) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] krl(String url) throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/krl"))
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    void count(String replica, String what, int delta) {
        acknowledged.computeIfAbsent(replica + " " + what, k -> new AtomicInteger()).addAndGet(delta);
    }

    int count(String replica, String what) {
        AtomicInteger n = acknowledged.get(replica + " " + what);
        return n == null ? 0 : n.get();
    }

    /** Waits (at most 90 s) until the load has reached {@code condition}, failing early on any problem. */
    void awaitLoad(BooleanSupplier condition, String what) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(90);
        while (!condition.getAsBoolean()) {
            if (!problems.isEmpty()) {
                throw new AssertionError("before " + what + ": " + problems);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + " not reached within 90 s: " + acknowledged);
            }
            Thread.sleep(50);
        }
    }
}
