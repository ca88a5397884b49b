package dev.writ.bastion.relay;

/** The answer owed for one channel request that wanted a reply; answered once, sent in request order. */
public final class ReplySlot {

    private final ChannelEnd owner;
    private volatile Boolean success;

    ReplySlot(ChannelEnd owner) {
        this.owner = owner;
    }

    public void answer(boolean ok) {
        if (success == null) {
            success = ok;
            owner.flushReplies();
        }
    }

    Boolean success() {
        return success;
    }
}
