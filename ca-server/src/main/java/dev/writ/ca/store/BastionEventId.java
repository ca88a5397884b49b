package dev.writ.ca.store;

/**
 * The id a bastion's audit spool gives an event, {@code <bastion>:<stream>:<seq>}: the bastion's
 * name, the spool's random stream word, and the event's number in that stream (from 1).
 */
public record BastionEventId(String bastion, String stream, long seq) {

    public BastionEventId {
        if (bastion == null || stream == null || seq < 1) {
            throw new IllegalArgumentException("a bastion event id needs a bastion, a stream and a positive seq");
        }
    }

    @Override
    public String toString() {
        return bastion + ":" + stream + ":" + seq;
    }
}
