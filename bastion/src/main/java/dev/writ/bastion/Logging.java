package dev.writ.bastion;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.writ.bastion.config.BastionConfig.LogFormat;
import org.slf4j.LoggerFactory;

/** One line per event on standard output, as text or as JSON. Configured once, at start. */
final class Logging {

    private Logging() {
    }

    static void configure(LogFormat format) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        Encoder<ILoggingEvent> encoder = encoder(format, context);
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setEncoder(encoder);
        console.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        // MINA logs every session at INFO; the bastion's own lines say what matters
        context.getLogger("org.apache.sshd").setLevel(Level.WARN);
    }

    /**
     * The encoder of each line. JSON lines carry the message with its arguments filled in
     * ({@code formattedMessage}), never the bare pattern with its {@code {}} placeholders.
     */
    static Encoder<ILoggingEvent> encoder(LogFormat format, LoggerContext context) {
        Encoder<ILoggingEvent> encoder;
        if (format == LogFormat.json) {
            JsonEncoder json = new JsonEncoder();
            json.setWithMessage(false);
            json.setWithFormattedMessage(true);
            json.setWithArguments(false);
            json.setWithMDC(false);
            json.setWithSequenceNumber(false);
            json.setWithContext(false);
            encoder = json;
        } else {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level %logger{0} - %replace(%msg){'[\\r\\n]+', ' '}%n");
            encoder = text;
        }
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }
}
