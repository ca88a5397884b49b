package dev.writ.ca.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.config.ConfigException;
import dev.writ.ca.config.ConfigLoader;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The {@code bastions:} key of the CA config: checked at load, with the file and line of a mistake. */
class BastionRegistrationTest {

    static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHbS1mw3R0oLkJ0FOnQKbOhNq0gGj8Gc0m+X/4G9uRxQ";
    static final String BASE = """
            listen: 127.0.0.1:8080
            store: sqlite:./writ.db
            keys: ./keys
            policies: ./policies
            issuers:
              - url: http://127.0.0.1:9000/dev
                audience: writ
            bastions:
            """;

    static String bastion(String name, String key, String addresses, String hostnames) {
        return "  - name: " + name + "\n    public_key: \"" + key + "\"\n    addresses: " + addresses
                + "\n    hostnames: " + hostnames + "\n";
    }

    @Test
    void okAnEd25519BastionWithItsAddressesAndNames() throws Exception {
        CaConfig config = ConfigLoader.parse("ca.yaml", BASE + bastion("b1", KEY, "[\"10.0.0.5\", \"127.0.0.1/32\"]",
                "[\"bastion.example.com\", \"*.dev.example.com\"]"));
        BastionRegistration registration = config.bastions().get(0);
        assertEquals("10.0.0.5/32,127.0.0.1/32", registration.sourceAddress());
        assertTrue(registration.allowsHostname("web01.dev.example.com"));
        assertTrue(registration.allowsHostname("BASTION.example.com"));
        assertFalse(registration.allowsHostname("web01.prod.example.com"));
    }

    /** Jackson reports a check of a whole entry at the entry's last line. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("fail/rsa-key", bastion("b1", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", "[\"10.0.0.5\"]", "[\"b\"]"),
                        "ca.yaml:8: bastions[0]: bastion b1: public_key: public_key is not a valid OpenSSH public key"),
                Arguments.of("fail/address-is-a-name", bastion("b1", KEY, "[\"bastion.example.com\"]", "[\"b\"]"),
                        "ca.yaml:8: bastions[0]: bastion b1: address 'bastion.example.com' is not an IP address or CIDR block"),
                Arguments.of("fail/no-addresses", bastion("b1", KEY, "[]", "[\"b\"]"),
                        "ca.yaml:8: bastions[0]: bastion b1 needs addresses (for source-address)"),
                Arguments.of("fail/star-hostname", bastion("b1", KEY, "[\"10.0.0.5\"]", "[\"*\"]"),
                        "ca.yaml:8: bastions[0]: bastion b1: hostname pattern '*' is not a DNS name pattern (and '*' alone is too wide)"),
                Arguments.of("fail/duplicate-names", bastion("b1", KEY, "[\"10.0.0.5\"]", "[\"b\"]")
                        + bastion("b1", KEY, "[\"10.0.0.6\"]", "[\"b\"]"), "ca.yaml:8: bastions must have distinct names"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesABadRegistrationNamingWhere(String name, String yaml, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("ca.yaml", BASE + yaml));
        assertEquals(message, e.getMessage());
    }
}
