package dev.writ.ca.store;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where the PostgreSQL store is: {@code postgresql://USER@HOST:PORT/DATABASE} in the CA config.
 * It never holds the password, which comes from an environment variable or a file of its own.
 */
public record PostgresLocation(String host, int port, String database, String user) {

    public static final String SCHEME = "postgresql://";

    public PostgresLocation {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the PostgreSQL store needs a host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the PostgreSQL store's port must be 1..65535");
        }
        if (database == null || !database.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("the PostgreSQL store needs a database name (letters, digits, _ . -)");
        }
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("the PostgreSQL store needs a user: postgresql://USER@HOST:PORT/DATABASE");
        }
    }

    /** Parses {@code postgresql://USER@HOST[:PORT]/DATABASE}; a password in the URL is refused. */
    public static PostgresLocation parse(String url) {
        if (!url.startsWith(SCHEME)) {
            throw new IllegalArgumentException("a PostgreSQL store is postgresql://USER@HOST:PORT/DATABASE");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("store: not a URL (" + e.getReason() + ")");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
            throw new IllegalArgumentException("store: leave the password out of the URL; give it in the environment"
                    + " variable WRIT_STORE_PASSWORD or in store_password_file");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("store: the PostgreSQL URL takes no query or fragment");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        return new PostgresLocation(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(),
                path.startsWith("/") ? path.substring(1) : path, userInfo);
    }

    /** The JDBC URL (without user or password, which go as connection properties). */
    public String jdbcUrl() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return SCHEME + user + "@" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":"
                + port + "/" + database;
    }
}
