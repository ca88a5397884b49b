package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Person;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ host token create} as an admin runs it after {@code writ login}: the CA and the
 * identity come from {@code writ configure} and {@code writ login}, no ID-token file; a refusal
 * exits with the documented code of its kind.
 */
class HostTokenCommandTest {

    static final String POLICY = """
            roles:
              - name: engineer
                match: { groups: [engineering] }
                principals: ["{{email.local}}"]
                max_ttl: 8h
            hosts:
              - name: joined-machines
                match: { issuer: "writ:join-token" }
                hostnames: ["*.example.com"]
            admins:
              - match: { groups: [writ-admins] }
            """;

    @TempDir
    static Path dir;
    static MockIdp idp;
    static TestCa ca;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(dir.resolve("ca"), idp.issuerUrl(), POLICY);
    }

    @AfterAll
    static void stop() {
        if (ca != null) {
            ca.close();
        }
        idp.close();
    }

    @Test
    void anAdminCreatesAJoinTokenWithTheLoginIdentity() {
        Person ada = Person.loggedIn(dir.resolve("ada"), idp, ca, "ada@example.com", "writ-admins");
        Result created = ada.run("host", "token", "create", "--hostname", "web01.example.com");
        assertEquals(0, created.exit(), created.toString());
        assertTrue(created.out().strip().matches("wjt_[A-Za-z0-9_-]{43}"), created.toString());
        assertTrue(created.err().contains("writ host bootstrap --ca " + ca.url()), created.err());
        // the CA's time, to the second as the CLI prints every time
        assertTrue(created.err().matches("(?s)join token for web01\\.example\\.com, valid until "
                + "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ, single use.*"), created.err());
    }

    @Test
    void someoneWhoIsNotAnAdminIsRefusedWithTheCaRefusedCode() {
        Person alice = Person.loggedIn(dir.resolve("alice"), idp, ca, "alice@example.com", "engineering");
        Result refused = alice.run("host", "token", "create", "--hostname", "web01.example.com");
        assertEquals(11, refused.exit(), refused.toString());
        assertEquals("writ host token create: the CA refused POST /v1/join-tokens (403): alice@example.com is not a writ admin\n",
                refused.err());
        assertEquals("", refused.out());
    }

    @Test
    void withoutALoginItSaysSoWithTheNotLoggedInCode() {
        TestEnv nobody = TestEnv.in(dir.resolve("nobody"));
        assertEquals(0, nobody.run("configure", "--ca", ca.url()).exit());
        Result refused = nobody.run("host", "token", "create", "--hostname", "web01.example.com");
        assertEquals(4, refused.exit(), refused.toString());
        assertTrue(refused.err().startsWith("writ host token create: "), refused.err());
        assertTrue(refused.err().endsWith("(or pass --id-token-file)\n"), refused.err());
    }
}
