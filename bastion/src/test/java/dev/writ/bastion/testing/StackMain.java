package dev.writ.bastion.testing;

import dev.writ.bastion.observe.SessionRecorder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts the whole stack in a directory and keeps it running until stdin closes; prints how to
 * reach it. For poking at the bastion by hand with {@code ssh -v}.
 */
public final class StackMain {

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/writ-stack"));
        try (Stack stack = Stack.start(dir, """
                roles:
                  - name: engineer
                    match: { groups: [engineering] }
                    principals: ["%1$s"]
                    targets: [ { hosts: ["web*"] } ]
                    max_ttl: 8h
                    extensions: [permit-pty, permit-port-forwarding, permit-agent-forwarding]
                """, List.of("web01"), List.of("LogLevel DEBUG3"), "", SessionRecorder.NONE)) {
            Engineer alice = stack.engineer("alice", List.of("engineering"), "");
            System.out.println("bastion port " + stack.bastion.port() + "; ssh -F " + alice.config() + " -p "
                    + stack.bastion.port() + " " + Stack.LOGIN + "@web01@127.0.0.1");
            System.out.println("target log " + dir.resolve("web01/sshd.log"));
            System.in.read();
        }
    }
}
