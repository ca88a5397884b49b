package dev.writ.agent;

import java.time.Duration;

/** Waits between polls; tests pass one that advances their clock instead of sleeping. */
@FunctionalInterface
public interface Sleeper {

    Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
