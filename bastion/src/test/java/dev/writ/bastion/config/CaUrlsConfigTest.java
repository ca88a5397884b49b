package dev.writ.bastion.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ca.urls}: every CA replica the bastion may call, {@code ca.url} first. */
class CaUrlsConfigTest {

    static String config(String ca) {
        return ConfigLoaderTest.GOOD.replace("""
                ca:
                  url: https://ca.example.com
                  bundle: ./ca.pem
                """, ca);
    }

    @Test
    void urlThenUrlsWithoutRepeatsOrTrailingSlashes() throws Exception {
        BastionConfig config = ConfigLoader.parse("bastion.yaml", config("""
                ca:
                  url: https://ca1.example.com/
                  urls: [https://ca2.example.com, https://ca1.example.com, https://ca3.example.com/]
                """));
        assertEquals(URI.create("https://ca1.example.com"), config.ca().url());
        assertEquals(List.of(URI.create("https://ca1.example.com"), URI.create("https://ca2.example.com"),
                URI.create("https://ca3.example.com")), config.ca().all());
    }

    @Test
    void urlsAloneAndTheirFirstStandsForUrl() throws Exception {
        BastionConfig config = ConfigLoader.parse("bastion.yaml", config("""
                ca:
                  urls: [https://ca2.example.com, https://ca3.example.com]
                """));
        assertEquals(URI.create("https://ca2.example.com"), config.ca().url());
        assertEquals(2, config.ca().all().size());
    }

    @Test
    void aPlainHttpReplicaOffLoopbackIsRefused() {
        Exception refused = assertThrows(ConfigException.class, () -> ConfigLoader.parse("bastion.yaml", config("""
                ca:
                  url: https://ca1.example.com
                  urls: [http://ca2.example.com]
                """)));
        assertTrue(refused.getMessage().contains("ca.url must be https://"), refused.getMessage());
    }
}
