package dev.writ.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.ca.config.CaConfig.LogFormat;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code log_format: json}: each line is one JSON object whose message has its values in it. */
class JsonLogTest {

    @Test
    void jsonLinesCarryTheValuesOfTheMessage() throws Exception {
        LoggerContext context = new LoggerContext();
        Encoder<ILoggingEvent> encoder = Logging.encoder(LogFormat.json, context);
        LoggingEvent event = new LoggingEvent(JsonLogTest.class.getName(), context.getLogger("Problems"), Level.INFO,
                "refused {} {} from {}: {} ({})",
                null, new Object[] {"POST", "/v1/certs/user", "127.0.0.1", "invalid_token", "token expired"});
        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
        assertEquals(1, line.strip().split("\n").length, line);
        JsonNode json = new ObjectMapper().readTree(line);
        assertEquals("refused POST /v1/certs/user from 127.0.0.1: invalid_token (token expired)",
                json.get("formattedMessage").asText(), line);
        assertEquals("INFO", json.get("level").asText(), line);
        assertFalse(line.contains("{}"), line);
    }
}
