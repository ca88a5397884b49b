package dev.writ.agent.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code writ configure --ca URL} stores: the CA, and the OIDC client settings the CA told
 * us ({@code GET /v1/login-config}). Validated once here; every command reads it through
 * {@link ConfigStore}.
 *
 * @param ca       the CA's base URL
 * @param caBundle a PEM file of certificates to trust for the CA's TLS, instead of the JDK's trust store
 * @param issuer   the OIDC issuer URL
 * @param clientId the public OIDC client id of the CLI
 * @param scopes   the scopes to ask for
 * @param bastion  the bastion's {@code host:port}, or null
 * @param caReplicas further URLs of the same CA (its other replicas), tried in turn when one gives no answer; may be empty
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClientConfig(
        @JsonProperty("ca") String ca,
        @JsonProperty("ca_bundle") String caBundle,
        @JsonProperty("issuer") String issuer,
        @JsonProperty("client_id") String clientId,
        @JsonProperty("scopes") List<String> scopes,
        @JsonProperty("bastion") String bastion,
        @JsonProperty("ca_replicas") List<String> caReplicas) {

    @JsonCreator
    public ClientConfig {
        ca = stripSlash(requireSecureUrl("ca", ca));
        issuer = requireSecureUrl("issuer", issuer);
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("client_id is missing");
        }
        scopes = scopes == null || scopes.isEmpty() ? List.of("openid") : List.copyOf(scopes);
        if (!scopes.contains("openid")) {
            throw new IllegalArgumentException("scopes must include openid");
        }
        if (bastion != null && bastion.isBlank()) {
            bastion = null;
        }
        List<String> replicas = new ArrayList<>();
        for (String url : caReplicas == null ? List.<String>of() : caReplicas) {
            String checked = stripSlash(requireSecureUrl("ca_replicas", url));
            if (!checked.equals(ca) && !replicas.contains(checked)) {
                replicas.add(checked);
            }
        }
        caReplicas = replicas.isEmpty() ? null : List.copyOf(replicas);
    }

    public ClientConfig(String ca, String caBundle, String issuer, String clientId, List<String> scopes, String bastion) {
        this(ca, caBundle, issuer, clientId, scopes, bastion, null);
    }

    public URI caUri() {
        return URI.create(ca);
    }

    /** The CA's URL, then its other replicas'. */
    public List<URI> caUris() {
        List<URI> all = new ArrayList<>();
        all.add(caUri());
        if (caReplicas != null) {
            caReplicas.forEach(url -> all.add(URI.create(url)));
        }
        return all;
    }

    /**
     * Bearer tokens travel only over TLS: an {@code http} URL is accepted for a loopback host
     * only (a CA or issuer on the same machine, as in development and tests).
     */
    public static String requireSecureUrl(String name, String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(name + " URL is missing");
        }
        URI uri;
        try {
            uri = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " URL '" + url + "' is not a URL");
        }
        if (uri.getHost() == null || uri.getScheme() == null) {
            throw new IllegalArgumentException(name + " URL '" + url + "' needs a scheme and a host, e.g. https://ca.example.com");
        }
        switch (uri.getScheme()) {
            case "https" -> {
            }
            case "http" -> {
                if (!isLoopback(uri.getHost())) {
                    throw new IllegalArgumentException(name + " URL " + url + " must use https (http is only for a loopback address)");
                }
            }
            default -> throw new IllegalArgumentException(name + " URL " + url + " must use https");
        }
        return uri.toString();
    }

    static boolean isLoopback(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare.equals("localhost")) {
            return true;
        }
        if (!bare.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // only literal addresses: a DNS name is not looked up to decide this
        }
        try {
            return InetAddress.getByName(bare).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
