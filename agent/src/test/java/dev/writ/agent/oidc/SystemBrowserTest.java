package dev.writ.agent.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The browser is started with {@code xdg-open} only where there is a desktop; here a stand-in script records the call. */
class SystemBrowserTest {

    static final URI LOGIN = URI.create("https://login.example.com/authorize?client_id=writ&state=abc");

    @TempDir
    Path dir;
    Path opened;

    @BeforeEach
    void fakeXdgOpen() throws Exception {
        opened = dir.resolve("opened");
        Path script = dir.resolve("bin/xdg-open");
        Files.createDirectories(script.getParent());
        Files.writeString(script, "#!/bin/sh\nprintf '%s' \"$1\" > '" + opened + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    }

    String path() {
        return dir.resolve("bin") + ":/usr/bin:/bin";
    }

    @Test
    void opensTheUrlWithXdgOpenOnADesktop() throws Exception {
        assertTrue(new SystemBrowser(Map.of("PATH", path(), "DISPLAY", ":0")).open(LOGIN));
        assertEquals(LOGIN.toString(), awaitOpened());
    }

    @Test
    void opensOnWaylandToo() throws Exception {
        assertTrue(new SystemBrowser(Map.of("PATH", path(), "WAYLAND_DISPLAY", "wayland-0")).open(LOGIN));
        // wait for the stand-in to finish, or it may still write while the temp directory is deleted
        assertEquals(LOGIN.toString(), awaitOpened());
    }

    /** What the stand-in xdg-open wrote, once it wrote all of it (at most 10 s). */
    String awaitOpened() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String written = "";
        while (System.nanoTime() < deadline) {
            written = Files.exists(opened) ? Files.readString(opened) : "";
            if (written.equals(LOGIN.toString())) {
                break;
            }
            Thread.sleep(20);
        }
        Thread.sleep(100); // the script exits right after its one write
        return written;
    }

    @Test
    void doesNotTryWithoutADisplay() throws Exception {
        assertFalse(new SystemBrowser(Map.of("PATH", path())).open(LOGIN));
        Thread.sleep(100);
        assertFalse(Files.exists(opened));
    }

    @Test
    void doesNotTryWithoutXdgOpen() {
        assertFalse(new SystemBrowser(Map.of("PATH", dir.resolve("empty").toString(), "DISPLAY", ":0")).open(LOGIN));
    }
}
