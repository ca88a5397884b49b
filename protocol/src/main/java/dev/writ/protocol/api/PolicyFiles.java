package dev.writ.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * Body of {@code GET /v1/bastion/policy}: the policy files the CA loaded, by file name, so that
 * the bastion evaluates exactly the same policy.
 */
public record PolicyFiles(@JsonProperty("files") Map<String, String> files) {

    public PolicyFiles {
        files = files == null ? Map.of() : new TreeMap<>(files);
    }
}
