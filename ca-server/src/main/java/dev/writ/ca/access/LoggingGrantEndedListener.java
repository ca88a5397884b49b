package dev.writ.ca.access;

import dev.writ.ca.sign.Serials;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs ended grants and their certificates; stands in until revocation is connected. */
public final class LoggingGrantEndedListener implements GrantEndedListener {

    private static final Logger LOG = LoggerFactory.getLogger(LoggingGrantEndedListener.class);

    @Override
    public void grantEnded(String grantId, List<Long> serials, String reason) {
        LOG.info("access grant {} ended ({}); certificates carrying it: {}", grantId, reason,
                serials.isEmpty() ? "none" : serials.stream().map(Serials::format).collect(Collectors.joining(", ")));
    }
}
