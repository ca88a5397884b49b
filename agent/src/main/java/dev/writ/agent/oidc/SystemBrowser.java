package dev.writ.agent.oidc;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The desktop's browser through {@code xdg-open}, when there is a desktop: {@code xdg-open} on
 * the {@code PATH} and a display ({@code DISPLAY} or {@code WAYLAND_DISPLAY}). On a server over
 * ssh there is none, and the login prints its URL instead.
 */
public final class SystemBrowser implements Browser {

    private final Map<String, String> environment;

    public SystemBrowser(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public boolean open(URI uri) {
        boolean display = present("DISPLAY") || present("WAYLAND_DISPLAY");
        Optional<Path> xdgOpen = onPath("xdg-open");
        if (!display || xdgOpen.isEmpty()) {
            return false;
        }
        try {
            new ProcessBuilder(xdgOpen.get().toString(), uri.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean present(String name) {
        String value = environment.get(name);
        return value != null && !value.isBlank();
    }

    private Optional<Path> onPath(String program) {
        String path = environment.getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, program);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
