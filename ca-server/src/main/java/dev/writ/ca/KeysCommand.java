package dev.writ.ca;

import dev.writ.ca.config.CaConfig;
import dev.writ.ca.config.ConfigException;
import dev.writ.ca.config.ConfigLoader;
import dev.writ.ca.keys.CaKeyRing;
import dev.writ.ca.keys.KeyRotation;
import dev.writ.ca.keys.KeySources;
import dev.writ.ca.keys.KeyTable;
import dev.writ.ca.store.Store;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ-ca keys list|add|activate|retire}: staged rotation of the CA keys, run where the CA's
 * config, keys (or token) and store are. It changes the key table; running CAs and their replicas
 * apply it within {@code key_refresh_seconds}, bastions and hosts at their next refresh.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Rotate the CA keys: list, add, activate, retire.",
        subcommands = {KeysCommand.ListKeys.class, KeysCommand.Add.class, KeysCommand.Activate.class, KeysCommand.Retire.class})
final class KeysCommand {

    /** Opens what every step needs; exit 2 for a bad config, 1 for a step refused or failed. */
    abstract static class Step implements Callable<Integer> {

        @Option(names = "--config", required = true, description = "The CA configuration (YAML).")
        Path configFile;

        @Spec
        CommandSpec spec;

        abstract void run(KeyRotation rotation, PrintWriter out) throws Exception;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            CaConfig config;
            try {
                config = ConfigLoader.load(configFile);
            } catch (ConfigException e) {
                err.println("writ-ca keys: " + e.getMessage());
                return 2;
            }
            Security.addProvider(new BouncyCastleProvider());
            Store store;
            try {
                store = Main.openStore(config, nanos -> { }); // creates or migrates the database
            } catch (Exception e) {
                err.println("writ-ca keys: " + e.getMessage());
                return 1;
            }
            try (store; KeyTable table = KeyTable.open(store)) {
                KeySources sources = Main.keySources(config);
                CaKeyRing ring = CaKeyRing.loadOrCreate(sources);
                KeyRotation rotation = new KeyRotation(ring, sources, table, Clock.systemUTC(),
                        Duration.ofSeconds(config.keyRefreshSeconds()).multipliedBy(2));
                rotation.adoptCurrentKeys();
                run(rotation, spec.commandLine().getOut());
                spec.commandLine().getOut().flush();
                return 0;
            } catch (KeyRotation.RotationException | IllegalArgumentException e) {
                err.println("writ-ca keys: " + e.getMessage());
                return 1;
            } catch (Exception e) {
                err.println("writ-ca keys: " + e.getMessage());
                return 1;
            }
        }

        static String actor() {
            return "writ-ca keys (" + System.getProperty("user.name", "?") + ")";
        }

        static String line(KeyTable.Row row) {
            return String.join("  ", row.ca(), row.state(), row.fingerprint(), row.location(),
                    "added " + row.addedAt(), row.activatedAt() == null ? "" : "activated " + row.activatedAt(),
                    row.deactivatedAt() == null ? "" : "deactivated " + row.deactivatedAt(),
                    row.retiredAt() == null ? "" : "retired " + row.retiredAt()).strip();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every key of every CA and its state.")
    static final class ListKeys extends Step {
        @Override
        void run(KeyRotation rotation, PrintWriter out) throws Exception {
            for (KeyTable.Row row : rotation.list()) {
                out.println(line(row));
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Generate the next key of a CA and publish it (it does not sign yet).")
    static final class Add extends Step {
        @Parameters(index = "0", description = "user, session or host")
        String ca;

        @Override
        void run(KeyRotation rotation, PrintWriter out) throws Exception {
            out.println(line(rotation.add(KeyRotation.caName(ca), actor())));
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
            description = "Make a published key the one that signs; the key that signed until now stays trusted.")
    static final class Activate extends Step {
        @Parameters(index = "0", description = "user, session or host")
        String ca;
        @Parameters(index = "1", description = "the key's fingerprint (SHA256:...), as keys list prints it")
        String fingerprint;

        @Override
        void run(KeyRotation rotation, PrintWriter out) throws Exception {
            out.println(line(rotation.activate(KeyRotation.caName(ca), fingerprint, actor())));
        }
    }

    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = "Stop publishing a key that no longer signs: what it signed is refused from then on.")
    static final class Retire extends Step {
        @Parameters(index = "0", description = "user, session or host")
        String ca;
        @Parameters(index = "1", description = "the key's fingerprint (SHA256:...)")
        String fingerprint;
        @Option(names = "--force", description = "Retire even while certificates it signed are still valid.")
        boolean force;

        @Override
        void run(KeyRotation rotation, PrintWriter out) throws Exception {
            out.println(line(rotation.retire(KeyRotation.caName(ca), fingerprint, force, actor())));
        }
    }
}
