package dev.writ.e2e.bastion;

import dev.writ.bastion.testing.Engineer;
import java.util.ArrayList;
import java.util.List;

/** The two ways through the bastion, as the OpenSSH tools spell them. */
enum Route {
    /** {@code ssh -p PORT login@target@bastion} */
    DIRECT,
    /** {@code ssh -J bastion login@target} */
    JUMP;

    List<String> ssh(Engineer engineer, int port, String login, String target, String... optionsThenCommand) {
        List<String> options = new ArrayList<>();
        List<String> remote = new ArrayList<>();
        boolean inOptions = true;
        for (String arg : optionsThenCommand) {
            if (inOptions && arg.equals("--")) {
                inOptions = false;
            } else if (inOptions) {
                options.add(arg);
            } else {
                remote.add(arg);
            }
        }
        List<String> command = this == DIRECT
                ? engineer.direct(port, login, target, options.toArray(String[]::new))
                : engineer.jump(port, login, target, options.toArray(String[]::new));
        command.addAll(remote);
        return command;
    }

    /** {@code scp} or {@code sftp} options and the remote host spec for this route. */
    List<String> copyTool(String tool, Engineer engineer, int port) {
        List<String> command = new ArrayList<>(List.of(tool, "-F", engineer.config().toString()));
        if (this == DIRECT) {
            command.addAll(List.of("-P", Integer.toString(port)));
        } else {
            command.addAll(List.of("-J", "jump@127.0.0.1:" + port));
        }
        return command;
    }

    String host(String login, String target) {
        return this == DIRECT ? login + "@" + target + "@127.0.0.1" : login + "@" + target;
    }
}
