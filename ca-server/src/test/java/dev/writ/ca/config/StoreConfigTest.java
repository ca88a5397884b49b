package dev.writ.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.writ.ca.store.PostgresLocation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's config: sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE, and the PostgreSQL password kept out of it. */
class StoreConfigTest {

    @TempDir
    Path dir;

    static String config(String store, String extra) {
        return """
                listen: 127.0.0.1:0
                store: %s
                keys: ./keys
                policies: ./policies
                issuers:
                  - url: http://127.0.0.1:9000/idp
                    audience: writ
                """.formatted(store) + extra;
    }

    @Nested
    class Location {

        @Test
        void okPostgresqlWithUserHostPortAndDatabase() throws Exception {
            Path file = Files.writeString(dir.resolve("ca.yaml"), config("postgresql://writ@db.internal:6432/writ_prod",
                    "store_password_file: ./secrets/store-password\n"));
            CaConfig loaded = ConfigLoader.load(file);
            assertEquals(new PostgresLocation("db.internal", 6432, "writ_prod", "writ"), loaded.postgresLocation());
            assertEquals("postgresql://writ@db.internal:6432/writ_prod", loaded.store(), "not resolved as a path");
            assertEquals(dir.resolve("secrets/store-password"), loaded.storePasswordFile());
            assertEquals("jdbc:postgresql://db.internal:6432/writ_prod", loaded.postgresLocation().jdbcUrl());
        }

        @Test
        void okSqliteHasNoPostgresLocation() throws Exception {
            assertNull(ConfigLoader.parse("ca.yaml", config("sqlite:./writ.db", "")).postgresLocation());
        }

        @Test
        void failPasswordInTheUrl() {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse("ca.yaml", config("postgresql://writ:hunter2@db:5432/writ", "")));
            assertTrue(e.getMessage().contains("leave the password out of the URL"), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }

        @Test
        void failWithoutAUser() {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse("ca.yaml", config("postgresql://db:5432/writ", "")));
            assertTrue(e.getMessage().contains("needs a user"), e.getMessage());
        }

        @Test
        void failAPasswordFileBesideSqlite() {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse("ca.yaml", config("sqlite:./writ.db", "store_password_file: ./pw\n")));
            assertTrue(e.getMessage().contains("store_password_file is for a postgresql:// store only"), e.getMessage());
        }

        @Test
        void failAnotherScheme() {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse("ca.yaml", config("mysql://writ@db/writ", "")));
            assertTrue(e.getMessage().contains("store must be sqlite:PATH or postgresql://"), e.getMessage());
        }
    }

    @Nested
    class Password {

        Path secret(String content, String mode) throws Exception {
            Path file = Files.writeString(dir.resolve("store-password"), content);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            return file;
        }

        @Test
        void okFirstLineOfAnOwnerOnlyFile() throws Exception {
            assertEquals("s3cret pass", StorePassword.read(secret("s3cret pass\n", "rw-------"), Map.of()));
        }

        @Test
        void okTheEnvironmentWinsOverTheFile() throws Exception {
            assertEquals("from-env", StorePassword.read(secret("from-file\n", "rw-------"),
                    Map.of(StorePassword.ENV, "from-env")));
        }

        @Test
        void okNoneWhenNeitherIsGiven() throws Exception {
            assertNull(StorePassword.read(null, Map.of()));
        }

        @Test
        void failAFileOthersCanRead() throws Exception {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> StorePassword.read(secret("s3cret\n", "rw-r--r--"), Map.of()));
            assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }

        @Test
        void failAnEmptyOrMissingFile() throws Exception {
            assertThrows(ConfigException.class, () -> StorePassword.read(secret("\n", "rw-------"), Map.of()));
            ConfigException e = assertThrows(ConfigException.class,
                    () -> StorePassword.read(dir.resolve("absent"), Map.of()));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }
    }
}
