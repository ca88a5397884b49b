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

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(opened) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(50);
        assertEquals(LOGIN.toString(), Files.readString(opened));
    }

    @Test
    void opensOnWaylandToo() {
        assertTrue(new SystemBrowser(Map.of("PATH", path(), "WAYLAND_DISPLAY", "wayland-0")).open(LOGIN));
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
