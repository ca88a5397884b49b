package dev.writ.ca.session;

import dev.writ.ca.RequestRefused;
import dev.writ.ca.metrics.CaMetrics;
import dev.writ.ca.sign.CertificateRequest;
import dev.writ.ca.sign.CertificateSigner;
import dev.writ.ca.sign.Serials;
import dev.writ.ca.sign.SignedCertificate;
import dev.writ.ca.sign.SigningException;
import dev.writ.ca.store.AuditEvent;
import dev.writ.ca.store.IssuedCertificate;
import dev.writ.ca.store.SerialConflictException;
import dev.writ.ca.store.Store;
import dev.writ.ca.store.StoreException;
import dev.writ.protocol.api.BastionHostCertRequest;
import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.ssh.PublicKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/certs/bastion-host}: host certificates for a bastion's own key, for the names
 * its registration allows: its own, and the targets it answers for when it intercepts ProxyJump.
 */
public final class BastionHostCertificateService {

    /** A day; the bastion renews at half-life, so a lost CA costs nothing for hours. */
    public static final Duration TTL = Duration.ofHours(24);
    static final Duration BACKDATE = Duration.ofMinutes(1);
    private static final int MAX_HOSTNAMES = 64;
    private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9.:-]{0,252})");
    private static final int SIGNING_ATTEMPTS = 3;

    private final CertificateSigner signer;
    private final Store store;
    private final Clock clock;
    private final CaMetrics metrics;
    private final Serials serials = new Serials();

    public BastionHostCertificateService(CertificateSigner signer, Store store, Clock clock, CaMetrics metrics) {
        this.signer = signer;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
    }

    public CertificateResponse issue(BastionRegistration bastion, BastionHostCertRequest requested, String address)
            throws RequestRefused, StoreException, SigningException {
        long started = System.nanoTime();
        // 1. parse
        PublicKey key = SessionCertificateService.parseKey(requested.publicKey());
        List<String> hostnames = hostnames(requested.hostnames());
        // 2. authorize: every name must be one this bastion may answer for
        List<String> outside = hostnames.stream().filter(name -> !bastion.allowsHostname(name)).toList();
        if (!outside.isEmpty()) {
            throw RequestRefused.forbidden("hostnames_not_allowed", "bastion " + bastion.name()
                    + " may not have host certificates for " + String.join(", ", outside));
        }
        // 3. sign and record
        Instant now = clock.instant();
        for (int attempt = 1; ; attempt++) {
            CertificateRequest request = new CertificateRequest(CertificateRequest.Kind.HOST, serials.next(), key,
                    "bastion " + bastion.name(), hostnames, now.minus(BACKDATE), now.plus(TTL), new TreeMap<>(), new TreeMap<>());
            SignedCertificate signed = signer.sign(request);
            String actor = "bastion:" + bastion.name();
            String fingerprint = PublicKeys.fingerprint(key);
            try {
                store.recordIssuance(new IssuedCertificate(request.serial(), "host", request.keyId(), hostnames,
                                request.validAfter(), request.validBefore(), fingerprint, actor, "writ", address, List.of(), now),
                        event(request, actor, fingerprint, address, now));
            } catch (SerialConflictException e) {
                if (attempt < SIGNING_ATTEMPTS) {
                    continue;
                }
                throw e;
            }
            metrics.issued("bastion_host", System.nanoTime() - started);
            return new CertificateResponse(signed.line(), Serials.format(request.serial()), request.validBefore().toString(),
                    hostnames);
        }
    }

    private static List<String> hostnames(List<String> requested) throws RequestRefused {
        if (requested == null || requested.isEmpty()) {
            throw RequestRefused.badRequest("missing_field", "hostnames must name at least one host");
        }
        if (requested.size() > MAX_HOSTNAMES) {
            throw RequestRefused.badRequest("too_many_hostnames", "at most " + MAX_HOSTNAMES + " hostnames per certificate");
        }
        List<String> names = new ArrayList<>();
        for (String name : requested) {
            String lower = name == null ? "" : name.toLowerCase(Locale.ROOT);
            if (!HOSTNAME.matcher(lower).matches()) {
                throw RequestRefused.badRequest("bad_hostname", "hostnames must be DNS names or IP addresses, without wildcards");
            }
            if (!names.contains(lower)) {
                names.add(lower);
            }
        }
        return names;
    }

    private static AuditEvent event(CertificateRequest c, String actor, String fingerprint, String address, Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("serial", Serials.format(c.serial()));
        details.put("kind", "host");
        details.put("principals", c.principals());
        details.put("valid_before", c.validBefore().toString());
        details.put("key_fingerprint", fingerprint);
        return new AuditEvent(now, "certificate.issued", actor, AuditEvent.Outcome.ok, address, details);
    }
}
