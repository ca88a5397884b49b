package dev.writ.bastion.audit;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.bastion.metrics.BastionMetrics;
import dev.writ.protocol.api.BastionAuditEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The lines of the audit spool's {@code events.jsonl}: one event each, JSON, ending in a newline. */
final class AuditLines {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLines.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private AuditLines() {
    }

    /** The events of {@code file}; a line that is not a whole event (cut by a crash) is dropped, logged and counted. */
    static List<AuditSpool.Spooled> read(Path file, BastionMetrics metrics) throws IOException {
        List<AuditSpool.Spooled> events = new ArrayList<>();
        if (!Files.exists(file)) {
            return events;
        }
        byte[] all = Files.readAllBytes(file);
        int start = 0;
        for (int i = 0; i <= all.length; i++) {
            if (i < all.length && all[i] != '\n') {
                continue;
            }
            if (i > start) {
                byte[] line = Arrays.copyOfRange(all, start, i + (i < all.length ? 1 : 0));
                AuditSpool.Spooled event = parse(line);
                if (event == null) {
                    metrics.auditEventDropped("torn");
                    LOG.error("audit spool {}: dropping a line that is not a whole event (the bastion stopped while writing "
                            + "it?): {}", file, new String(line, StandardCharsets.UTF_8).strip());
                } else {
                    events.add(event);
                }
            }
            start = i + 1;
        }
        return events;
    }

    private static AuditSpool.Spooled parse(byte[] line) {
        if (line[line.length - 1] != '\n') {
            return null; // the crash came before the newline
        }
        try {
            BastionAuditEvent event = JSON.readValue(line, BastionAuditEvent.class);
            String[] id = event.id() == null ? new String[0] : event.id().split(":");
            if (id.length < 3 || event.type() == null || event.at() == null) {
                return null;
            }
            return new AuditSpool.Spooled(Long.parseLong(id[id.length - 1]), event, line);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    static byte[] encode(BastionAuditEvent event) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(512);
            JSON.writeValue(out, event);
            out.write('\n');
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("an audit event is always JSON", e);
        }
    }
}
