package dev.writ.ca.http;

import dev.writ.ca.config.CaConfig;
import dev.writ.policy.Policy;
import dev.writ.policy.Role;
import dev.writ.policy.TargetRule;
import dev.writ.protocol.api.LoginConfig;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The targets {@code writ config} routes through the bastion: the host patterns of every role's
 * target rules in the running policy, then the names of {@code login.targets} (targets a role
 * reaches by labels alone have no host pattern to publish). Patterns ssh_config could not hold
 * as one word are left out.
 */
final class RoutedTargets {

    private RoutedTargets() {
    }

    /** {@code base} (whose targets are {@code login.targets}) with the policy's host patterns before them. */
    static LoginConfig published(LoginConfig base, Policy policy) {
        Set<String> targets = new LinkedHashSet<>();
        if (policy != null) {
            for (Role role : policy.roles()) {
                for (TargetRule rule : role.targets()) {
                    for (String host : rule.hosts()) {
                        if (host.matches(CaConfig.SSH_HOST_PATTERN)) {
                            targets.add(host);
                        }
                    }
                }
            }
        }
        targets.addAll(base.targets());
        return new LoginConfig(base.issuer(), base.clientId(), base.scopes(), base.bastion(), List.copyOf(targets));
    }
}
