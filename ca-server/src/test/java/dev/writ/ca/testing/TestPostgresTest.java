package dev.writ.ca.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class TestPostgresTest {

    @Test
    void givesEachTestADatabaseOfItsOwnThatItsRoleCanExtendWithTrigrams() throws Exception {
        TestPostgres cluster = TestPostgres.cluster();
        TestPostgres.Database one = cluster.createDatabase();
        TestPostgres.Database two = cluster.createDatabase();
        assertNotEquals(one.location().database(), two.location().database());
        try (Connection c = DriverManager.getConnection(one.location().jdbcUrl(), TestPostgres.ROLE, one.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm");
            try (ResultSet rs = s.executeQuery("SELECT current_user, 'rm -RF /' ILIKE '%rm -rf%', inet_server_addr()::text")) {
                assertTrue(rs.next());
                assertEquals(TestPostgres.ROLE, rs.getString(1));
                assertTrue(rs.getBoolean(2));
                assertEquals("127.0.0.1/32", rs.getString(3));
            }
        } finally {
            cluster.dropDatabase(one);
            cluster.dropDatabase(two);
        }
    }
}
