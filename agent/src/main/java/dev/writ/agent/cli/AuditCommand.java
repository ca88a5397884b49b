package dev.writ.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.Json;
import dev.writ.agent.Times;
import dev.writ.agent.WritException;
import dev.writ.agent.ca.AuditFilter;
import dev.writ.agent.ca.CaClient;
import dev.writ.agent.identity.Certifier;
import dev.writ.protocol.audit.AuditRecord;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code writ audit}: the CA's audit log for auditors, filtered, oldest first, as a table or as
 * JSON lines for a SIEM. Fetched page by page ({@code after_seq}) up to {@code --limit}. Its
 * subcommand {@code verify} ({@link AuditVerifyCommand}) checks the hash chain.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "List audit events (auditors only), oldest first; writ audit verify checks them.")
public final class AuditCommand implements Callable<Integer> {

    /** The most events the CA sends in one answer. */
    static final int PAGE = 10_000;
    /** One JSON object per line, as the CA sends them. */
    static final ObjectWriter JSON_LINE = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--actor", paramLabel = "IDENTITY", description = "Only events by this identity (an email, else a subject).")
    String actor;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Only this event type; ending in '.' or '*', every type it begins (access. or access.*).")
    String type;

    @Option(names = "--since", paramLabel = "TIME", description = "At or after this time: RFC 3339 or relative (-2h).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Before this time: RFC 3339 or relative (-30m).")
    String until;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000", description = "At most N events (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "One JSON object per line, as the CA stores it (for a SIEM).")
    boolean json;

    @Spec
    CommandSpec spec;

    private final Client client;
    private final int pageSize;

    public AuditCommand(Client client) {
        this(client, PAGE);
    }

    /** With smaller pages, for tests of the paging. */
    AuditCommand(Client client, int pageSize) {
        this.client = client;
        this.pageSize = pageSize;
    }

    @Override
    public Integer call() throws WritException {
        if (limit < 1) {
            throw new ParameterException(spec.commandLine(), "--limit must be at least 1");
        }
        AuditFilter filter = new AuditFilter(actor, prefix(type), time("--since", since), time("--until", until));
        CaClient ca = client.ca(Http.REQUEST_TIMEOUT);
        Certifier user = client.certifier(Http.REQUEST_TIMEOUT);
        PrintWriter out = client.env().out();
        List<AuditRecord> events = new ArrayList<>();
        long after = 0;
        while (events.size() < limit) {
            long from = after;
            int size = Math.min(pageSize, limit - events.size());
            List<AuditRecord> page = user.asUser(idToken -> ca.auditEvents(idToken, filter, from, size));
            if (json) {
                page.forEach(event -> out.println(jsonLine(event)));
            }
            events.addAll(page);
            if (page.size() < size) {
                break;
            }
            after = page.get(page.size() - 1).seq();
        }
        if (!json) {
            table(events, out);
        }
        return Exit.OK.code();
    }

    private static void table(List<AuditRecord> events, PrintWriter out) {
        if (events.isEmpty()) {
            out.println("No audit events.");
            return;
        }
        Table table = new Table("SEQ", "TIME", "TYPE", "ACTOR", "OUTCOME", "DETAILS");
        for (AuditRecord e : events) {
            table.row(Long.toString(e.seq()), e.at().truncatedTo(ChronoUnit.SECONDS).toString(), e.type(), e.actor(),
                    e.outcome(), details(e.details()));
        }
        table.print(out);
    }

    /**
     * The details for reading: {@code key=value} in the stored (sorted) order, values quoted only
     * when they have spaces, lists and objects as compact JSON; text that is not a JSON object as is.
     */
    static String details(String stored) {
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(stored);
        } catch (JsonProcessingException notJson) {
            return stored;
        }
        if (!(tree instanceof ObjectNode object)) {
            return stored;
        }
        StringJoiner text = new StringJoiner(" ");
        object.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            String shown = !value.isTextual() ? value.toString()
                    : value.asText().matches("[^\\s\"=]+") ? value.asText() : value.toString();
            text.add(field.getKey() + "=" + shown);
        });
        return text.toString();
    }

    static String jsonLine(AuditRecord event) {
        try {
            return JSON_LINE.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render an audit event", e);
        }
    }

    /** {@code access.} and {@code access.*} both mean every type that begins with {@code access.}: the CA's {@code access.*}. */
    static String prefix(String type) {
        return type != null && type.endsWith(".") ? type + "*" : type;
    }

    private Instant time(String option, String text) {
        if (text == null) {
            return null;
        }
        return Times.parse(text, client.env().clock()).orElseThrow(() -> new ParameterException(spec.commandLine(),
                option + ": '" + text + "' is not " + Times.EXPECTED));
    }
}
