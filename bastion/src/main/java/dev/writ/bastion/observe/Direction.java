package dev.writ.bastion.observe;

/** Which way something crosses the bastion. */
public enum Direction {
    /** From the engineer's client towards the target. */
    TO_TARGET,
    /** From the target back to the engineer. */
    TO_CLIENT
}
