package dev.writ.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.writ.agent.Exit;
import dev.writ.agent.Http;
import dev.writ.agent.testing.HttpBrowser;
import dev.writ.agent.testing.MockIdp;
import dev.writ.agent.testing.Policies;
import dev.writ.agent.testing.TestEnv;
import dev.writ.agent.testing.TestEnv.Result;
import dev.writ.ca.testing.TestCa;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A CA that accepts connections and never answers costs a command {@link Http#REQUEST_TIMEOUT}
 * and no more, then one line and {@link Exit#CA_UNREACHABLE}; an HTTP server that is not a writ
 * CA is named for what it is, at once, with {@link Exit#NOT_A_WRIT_CA}.
 */
class UnansweredCaTest {

    /** What the issue promises a user: every command gives up within this. */
    static final Duration PROMISED = Duration.ofSeconds(15);

    @TempDir
    static Path shared;
    static MockIdp idp;
    static TestCa ca;
    static SilentServer silent;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        idp = MockIdp.alice();
        ca = TestCa.start(shared.resolve("ca"), idp.issuerUrl(), Policies.ENGINEERS);
        silent = new SilentServer();
    }

    @AfterAll
    static void stop() throws IOException {
        silent.close();
        ca.close();
        idp.close();
    }

    /** A loopback socket that accepts every connection and never writes a byte: a hung CA, as the network sees it. */
    static final class SilentServer implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        final List<Socket> accepted = new ArrayList<>();

        SilentServer() throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket connection = socket.accept();
                        synchronized (accepted) {
                            accepted.add(connection); // held open, never answered
                        }
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-ca");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        int connections() {
            synchronized (accepted) {
                return accepted.size();
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (accepted) {
                for (Socket connection : accepted) {
                    connection.close();
                }
            }
        }
    }

    record Timed(Result result, Duration took) {
    }

    static Timed timed(TestEnv env, String... args) {
        long start = System.nanoTime();
        Result result = env.run(args);
        return new Timed(result, Duration.ofNanos(System.nanoTime() - start));
    }

    @Nested
    class ASilentCa {

        String line() {
            return "writ: the CA at " + silent.url() + " did not answer within " + Http.REQUEST_TIMEOUT.toSeconds() + " s\n";
        }

        @Test
        void configureGivesUpWithinTheBoundWithOneLine() {
            int before = silent.connections();
            Timed run = timed(TestEnv.in(dir), "configure", "--ca", silent.url());
            assertEquals(Exit.CA_UNREACHABLE.code(), run.result().exit(), run.result().toString());
            assertEquals(line(), run.result().err());
            assertTrue(silent.connections() > before, "the command never reached the silent CA");
            assertTrue(run.took().compareTo(PROMISED) < 0, "took " + run.took());
            assertTrue(run.took().compareTo(Http.REQUEST_TIMEOUT) >= 0, "gave up before its bound: " + run.took());
        }

        @ParameterizedTest(name = "writ {0}")
        @ValueSource(strings = {"cert", "requests", "audit", "audit verify", "recordings list"})
        void aLoggedInCommandGivesUpWithinTheBoundWithOneLine(String command) throws Exception {
            TestEnv env = TestEnv.in(dir).browser(HttpBrowser.following());
            assertEquals(0, env.run("configure", "--ca", ca.url()).exit());
            Result login = env.run("login");
            assertEquals(0, login.exit(), login.toString());
            pointAt(env, silent.url()); // the CA hangs after the login

            Timed run = timed(env, command.split(" "));
            assertEquals(Exit.CA_UNREACHABLE.code(), run.result().exit(), run.result().toString());
            assertEquals(line(), run.result().err());
            assertTrue(run.took().compareTo(PROMISED) < 0, "took " + run.took());
        }
    }

    @Nested
    class NotAWritCa {

        @Test
        void anIdentityProviderIsNamedForWhatItAnswered() {
            Timed run = timed(TestEnv.in(dir), "configure", "--ca", idp.issuerUrl());
            assertEquals(Exit.NOT_A_WRIT_CA.code(), run.result().exit(), run.result().toString());
            assertEquals("writ: " + idp.issuerUrl() + " is not a writ CA: GET /v1/login-config answered 405 (no Content-Type)\n",
                    run.result().err());
            assertTrue(run.took().compareTo(Duration.ofSeconds(5)) < 0, "took " + run.took());
        }

        @Test
        void aWebPageIsNamedForWhatItAnswered() throws Exception {
            HttpServer web = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            web.createContext("/", exchange -> {
                byte[] page = "<html><body>It works!</body></html>".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, page.length);
                exchange.getResponseBody().write(page);
                exchange.close();
            });
            web.start();
            try {
                String url = "http://127.0.0.1:" + web.getAddress().getPort();
                Timed run = timed(TestEnv.in(dir), "configure", "--ca", url);
                assertEquals(Exit.NOT_A_WRIT_CA.code(), run.result().exit(), run.result().toString());
                assertEquals("writ: " + url + " is not a writ CA: GET /v1/login-config answered 200 (text/html)\n",
                        run.result().err());
                assertTrue(run.took().compareTo(Duration.ofSeconds(5)) < 0, "took " + run.took());
                assertTrue(Files.notExists(TestEnv.in(dir).configDir().resolve("config.json")), "a config was written");
            } finally {
                web.stop(0);
            }
        }

        @Test
        void aWritCaStillConfigures() {
            Result run = TestEnv.in(dir).run("configure", "--ca", ca.url());
            assertEquals(0, run.exit(), run.toString());
        }
    }

    static void pointAt(TestEnv env, String caUrl) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path file = env.configDir().resolve("config.json");
        ObjectNode config = (ObjectNode) json.readTree(file.toFile());
        config.put("ca", caUrl);
        Files.writeString(file, json.writeValueAsString(config));
    }
}
