package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.agent.cli.AgentCommand.RunningAgent;
import dev.writ.agent.sshagent.AgentClient;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.SshAgentProcess;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ status} and {@code writ agent --print-env}. */
class StatusTest {

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;

    @TempDir
    Path dir;
    TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS);
    }

    @AfterAll
    static void stop() {
        ca.close();
        idp.close();
    }

    @BeforeEach
    void configure() {
        env = TestEnv.in(dir).browser(HttpBrowser.following());
        assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
    }

    @Test
    void saysNotLoggedInWithExitCode4() {
        Result result = env.run("status");

        assertEquals(4, result.exit());
        assertEquals("CA             " + ca.url() + "\nidentity       not logged in: run writ login\n", result.out());
    }

    @Test
    void showsIdentityTokensAndTheCertificateTheWritAgentServes() throws Exception {
        assertEquals(0, env.run("login").exit());
        try (RunningAgent agent = env.startAgent("2h")) {
            Result before = env.run("status");
            try (AgentClient client = AgentClient.connect(agent.socket())) {
                client.identities(); // what ssh does first: the agent fetches
            }
            Result after = env.run("status");

            assertEquals(0, before.exit(), before.toString());
            assertTrue(before.out().contains("certificate    none yet (the writ agent fetches one when ssh asks)\n"), before.out());
            assertEquals(0, after.exit(), after.toString());
            String serial = agent.identity().status().certificate() == null ? "?"
                    : dev.writ.agent.sshagent.Certificate.parse(agent.identity().status().certificate()).serial();
            assertTrue(after.out().matches("""
                    CA             %s
                    identity       alice@example.com
                    issuer         %s
                    ID token       valid for 59m\\d+s
                    refresh token  present
                    certificate    serial %s \\(in the writ agent at %s\\)
                    principals     alice, %s
                    roles          engineer
                    time left      1h59m\\d+s \\(until \\S+Z\\)
                    """.formatted(ca.url(), idp.issuerUrl(), serial, env.agentSocket(), Policies.LOGIN)), after.out());
        }
    }

    @Test
    void showsTheCertificateInTheUsersSshAgent() throws Exception {
        try (SshAgentProcess sshAgent = SshAgentProcess.start(dir.resolve("ssh-agent/socket"))) {
            env.variable("SSH_AUTH_SOCK", sshAgent.socket().toString());
            assertEquals(0, env.run("login", "--add-to-agent", "--ttl", "30m").exit());

            Result result = env.run("status");

            assertEquals(0, result.exit(), result.toString());
            assertTrue(result.out().contains("(in the ssh-agent at " + sshAgent.socket() + ")\n"), result.out());
            assertTrue(result.out().contains("time left      29m"), result.out());
        }
    }

    @Test
    void printsTheShellLineForTheAgentSocket() {
        Result result = env.run("agent", "--print-env");

        assertEquals(0, result.exit());
        assertEquals("SSH_AUTH_SOCK=" + env.agentSocket() + "; export SSH_AUTH_SOCK;\n", result.out());
    }

    @Test
    void refusesToStartASecondAgentOnTheSameSocket() throws Exception {
        assertEquals(0, env.run("login").exit());
        try (RunningAgent agent = env.startAgent(null)) {
            Exception refused = org.junit.jupiter.api.Assertions.assertThrows(dev.writ.agent.WritException.class,
                    () -> env.startAgent(null).close());

            assertEquals("an agent is already serving " + env.agentSocket(), refused.getMessage());
        }
    }
}
