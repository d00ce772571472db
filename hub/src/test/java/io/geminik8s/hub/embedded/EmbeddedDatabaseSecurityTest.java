package io.geminik8s.hub.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.embedded.DatabaseCredentials;
import io.geminik8s.embedded.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL as an attacker on the same machine meets it: no connection without a password (it trusted
 * loopback: a local user ran COPY … TO PROGRAM as superuser), and the hub's own role cannot run programs either.
 */
class EmbeddedDatabaseSecurityTest {

    private static Connection connect(EmbeddedDatabase db, String database, String user, String password)
            throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + db.port() + "/" + database, user, password);
    }

    @Test
    void everyConnectionNeedsAPasswordAndTheHubsRoleIsNoSuperuserAcrossRestarts(@TempDir Path data) throws Exception {
        Path pgData = data.resolve("postgres");
        for (int start = 0; start < 2; start++) { // the second start is on the first one's data
            try (EmbeddedDatabase db = EmbeddedDatabase.start(pgData, true)) {
                for (String user : new String[]{"postgres", "gk8s"}) {
                    SQLException none = assertThrows(SQLException.class, () -> connect(db, "postgres", user, ""));
                    assertTrue(none.getMessage().contains("password"), none.getMessage());
                    assertThrows(SQLException.class, () -> connect(db, "gk8s", user, "guess"));
                }
                try (Connection c = connect(db, "gk8s", db.user(), db.password()); Statement st = c.createStatement()) {
                    var rs = st.executeQuery("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
                            + " WHERE rolname = current_user");
                    rs.next();
                    assertFalse(rs.getBoolean(1) || rs.getBoolean(2) || rs.getBoolean(3));
                    SQLException program = assertThrows(SQLException.class,
                            () -> st.execute("COPY (SELECT 1) TO PROGRAM 'touch " + data.resolve("owned") + "'"));
                    assertEquals("42501", program.getSQLState(), program.getMessage());
                    st.execute("CREATE TABLE mine (x int)"); // it owns its database
                    st.execute("DROP TABLE mine");
                }
                SQLException other = assertThrows(SQLException.class,
                        () -> connect(db, "postgres", db.user(), db.password()));
                assertTrue(other.getMessage().contains("permission denied"), other.getMessage());
            }
        }
        assertFalse(Files.exists(data.resolve("owned")));
        Path credentials = DatabaseCredentials.fileFor(pgData);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(credentials)));
        assertFalse(Files.readString(pgData.resolve("pg_hba.conf")).contains("trust"));
    }
}
