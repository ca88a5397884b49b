package dev.writ.bastion;

import dev.writ.bastion.config.BastionConfig;
import dev.writ.bastion.config.ConfigException;
import dev.writ.bastion.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar writ-bastion.jar --config FILE}: reads the config once and wires the bastion by hand. */
@Command(name = "writ-bastion", mixinStandardHelpOptions = true, description = "The writ SSH bastion.")
public final class Main implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "The bastion configuration (YAML).")
    Path configFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
        BastionConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            System.err.println("writ-bastion: " + e.getMessage());
            return 2;
        }
        Logging.configure(config.logFormat());
        try {
            Bastion bastion = Bastion.start(config, Clock.systemUTC());
            Runtime.getRuntime().addShutdownHook(new Thread(bastion::close, "writ-bastion-shutdown"));
            LoggerFactory.getLogger(Main.class).info("writ bastion {} listening on {}:{}{}", config.name(),
                    config.listen().host(), bastion.port(),
                    bastion.metricsPort() < 0 ? "" : ", metrics on " + config.metrics().host() + ":" + bastion.metricsPort());
            Thread.currentThread().join();
            return 0;
        } catch (Bastion.StartupException e) {
            System.err.println("writ-bastion: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
