package dev.writ.policy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Identities and policies shared by the tests. */
final class TestIdentities {

    static final String IDP = "https://idp.example.com";
    static final String GITLAB = "https://gitlab.example.com";

    private TestIdentities() {}

    /** A person from the company's identity provider. */
    static Identity person(String email, String... groups) {
        return Identity.fromClaims(IDP, Map.of("sub", "u-" + email.hashCode(), "email", email, "groups", List.of(groups)));
    }

    /** A person with extra claims. */
    static Identity person(String email, List<String> groups, Map<String, Object> extraClaims) {
        Map<String, Object> claims = new LinkedHashMap<>(extraClaims);
        claims.put("sub", "u-" + email.hashCode());
        claims.put("email", email);
        claims.put("groups", groups);
        return Identity.fromClaims(IDP, claims);
    }

    /** A GitLab CI job token. */
    static Identity gitlabJob(String projectPath, String ref) {
        return Identity.fromClaims(GITLAB, Map.of(
                "sub", "project_path:" + projectPath + ":ref_type:branch:ref:" + ref,
                "project_path", projectPath, "ref", ref, "ref_type", "branch", "ref_protected", "true"));
    }

    /** The example policy of the module (surefire runs with the module directory as working directory). */
    static Policy examples() {
        try {
            return Policy.load(Path.of("examples"));
        } catch (PolicyException e) {
            throw new AssertionError("the examples must load: " + e.getMessage(), e);
        }
    }
}
