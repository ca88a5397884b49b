package dev.writ.agent.host;

import dev.writ.protocol.api.CertificateResponse;
import dev.writ.protocol.api.JoinTokenResponse;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code writ host ...}: what a machine (or its provisioning) runs to get, keep and use a host
 * certificate, and what an admin runs to let a machine without a workload identity join.
 * Self-contained: each subcommand reports its own failure as one line on standard error and
 * the exit code of its kind (agent/README.md), so the {@code writ} command line only has to add
 * this command.
 */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = "Host certificates: bootstrap a host, renew its certificate, configure sshd, create join tokens.",
        subcommands = {HostCommands.Bootstrap.class, HostCommands.Renew.class, HostCommands.SshdConfigLines.class,
                HostCommands.Token.class})
public final class HostCommands implements Runnable {

    private final Clock clock;
    private final LoginIdentity login;

    @Spec
    CommandSpec spec;

    public HostCommands() {
        this(Clock.systemUTC());
    }

    public HostCommands(Clock clock) {
        this(clock, LoginIdentity.NONE);
    }

    /** With {@code login}, {@code token create} needs neither --ca nor --id-token-file after {@code writ login}. */
    public HostCommands(Clock clock, LoginIdentity login) {
        this.clock = clock;
        this.login = login;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The work of one subcommand. */
    private interface Work {
        void run(PrintWriter out, PrintWriter err) throws HostCommandException;
    }

    private static int execute(CommandSpec spec, Work work) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            work.run(out, err);
            return 0;
        } catch (HostCommandException e) {
            err.println("writ " + spec.qualifiedName(" ").replaceFirst("^writ ", "") + ": " + e.getMessage());
            return e.exit().code();
        } finally {
            out.flush();
            err.flush();
        }
    }

    @Command(name = "bootstrap", mixinStandardHelpOptions = true,
            description = "Get a host certificate: keeps the host key (or creates one, 0600), writes the certificate"
                    + " and the CA keys sshd trusts for logins (writ's session CA) next to it.")
    static final class Bootstrap implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--ca", required = true, paramLabel = "URL", description = "The writ CA, e.g. https://ca.example.com.")
        String ca;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Credential credential;

        static final class Credential {
            @Option(names = "--token", paramLabel = "TOKEN", description = "A one-time join token from an admin.")
            String joinToken;

            @Option(names = "--workload-token-file", paramLabel = "FILE",
                    description = "A file holding the workload OIDC token of this machine or pipeline.")
            Path workloadTokenFile;
        }

        @Option(names = "--hostname", required = true, paramLabel = "NAME",
                description = "A hostname for the certificate (repeat for several).")
        List<String> hostnames;

        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/etc/ssh",
                description = "Where sshd's keys live (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "Lifetime, e.g. 7d (default: the host rule's).")
        String ttl;

        @Override
        public Integer call() {
            return execute(spec, (out, err) -> {
                HostBootstrap.Credential presented = credential.joinToken != null
                        ? new HostBootstrap.Credential.JoinToken(credential.joinToken.strip())
                        : new HostBootstrap.Credential.Workload(
                                JoinTokenCreation.readToken(credential.workloadTokenFile, "--workload-token-file"));
                HostFiles files = new HostFiles(dir);
                HostBootstrap.Result result = HostBootstrap.run(new HostCaClient(ca), presented, hostnames, ttl, files);
                out.println("host key: " + (result.keyCreated() ? "created " : "kept ") + files.key());
                out.println("host certificate " + describe(result.certificate()) + ": " + files.certificate());
                out.println("trusted for logins: " + files.userCaKeys());
                out.println("next: writ host sshd-config" + (files.dir().equals(HostFiles.DEFAULT_DIR) ? "" : " --dir " + files.dir())
                        + " prints the sshd_config lines");
            });
        }
    }

    @Command(name = "renew", mixinStandardHelpOptions = true,
            description = "Renew the host certificate once less than a third of its lifetime is left; otherwise do nothing."
                    + " Safe to run from a timer.")
    static final class Renew implements Callable<Integer> {

        @ParentCommand
        HostCommands host;

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/etc/ssh",
                description = "Where bootstrap wrote the key and certificate (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--ca", paramLabel = "URL", description = "The writ CA (default: the one bootstrap used).")
        String ca;

        @Option(names = "--force", description = "Renew now, however long the certificate still lives.")
        boolean force;

        @Override
        public Integer call() {
            return execute(spec, (out, err) -> {
                HostFiles files = new HostFiles(dir);
                HostCaClient client = new HostCaClient(ca != null ? ca : files.readCaUrl());
                HostRenewal.Outcome outcome = HostRenewal.run(client, files, force, host.clock.instant());
                if (outcome instanceof HostRenewal.Outcome.NothingToDo nothing) {
                    out.println("nothing to do: certificate " + Long.toUnsignedString(nothing.serial()) + " is valid until "
                            + nothing.validBefore() + "; it is renewed from " + nothing.renewFrom());
                } else if (outcome instanceof HostRenewal.Outcome.Renewed renewed) {
                    out.println("renewed: host certificate " + describe(renewed.certificate()) + ": " + files.certificate());
                }
            });
        }
    }

    @Command(name = "sshd-config", mixinStandardHelpOptions = true,
            description = "Print the sshd_config lines (HostCertificate, TrustedUserCAKeys, RevokedKeys) and how to keep"
                    + " the revocation list and the certificate current.")
    static final class SshdConfigLines implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/etc/ssh",
                description = "Where bootstrap wrote the key and certificate (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--ca", paramLabel = "URL", description = "The writ CA (default: the one bootstrap used).")
        String ca;

        @Override
        public Integer call() {
            return execute(spec, (out, err) -> {
                HostFiles files = new HostFiles(dir);
                String url = HostCaClient.checkedUrl(ca != null ? ca : files.readCaUrl()).toString();
                out.print(SshdConfig.render(files, url));
            });
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Join tokens for hosts without a workload identity.",
            subcommands = Token.Create.class)
    static final class Token implements Runnable {

        @Spec
        CommandSpec spec;

        @ParentCommand
        HostCommands host;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Create a one-time join token for named hostnames (admins only). Prints the token, once.")
        static final class Create implements Callable<Integer> {

            @Spec
            CommandSpec spec;

            @ParentCommand
            Token parent;

            @Option(names = "--ca", paramLabel = "URL", description = "The writ CA (default: the one writ configure chose).")
            String ca;

            @Option(names = "--hostname", required = true, paramLabel = "NAME",
                    description = "A hostname the token may be spent on (repeat for several).")
            List<String> hostnames;

            @Option(names = "--ttl", paramLabel = "DURATION", description = "How long it may be used (default 30m, at most 24h).")
            String ttl;

            @Option(names = "--id-token-file", paramLabel = "FILE",
                    description = "A file holding an admin's OIDC ID token (default: the identity of writ login).")
            Path idTokenFile;

            @Override
            public Integer call() {
                return execute(spec, (out, err) -> {
                    LoginIdentity login = parent.host.login;
                    HostCaClient client = new HostCaClient(ca != null ? ca : login.caUrl());
                    String idToken = idTokenFile != null ? JoinTokenCreation.readToken(idTokenFile, "--id-token-file")
                            : login.idToken();
                    JoinTokenResponse token = JoinTokenCreation.create(client, idToken, hostnames, ttl);
                    out.println(token.token());
                    err.println("join token for " + String.join(", ", hostnames) + ", valid until " + dev.writ.agent.Instants.seconds(token.expiresAt())
                            + ", single use; it is not shown again. On the host:");
                    err.println("  writ host bootstrap --ca " + client.url() + " --token \"$TOKEN\""
                            + hostnames.stream().map(h -> " --hostname " + h).reduce("", String::concat));
                });
            }
        }
    }

    private static String describe(CertificateResponse certificate) {
        return certificate.serial() + " for " + String.join(", ", certificate.principals()) + ", valid until "
                + certificate.validBefore();
    }
}
