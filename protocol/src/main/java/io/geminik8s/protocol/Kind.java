package io.geminik8s.protocol;

/** Every message kind with its topic segment, direction, QoS and retain flag (docs/protocol.md has the table). */
public enum Kind {
    BIRTH("birth", Birth.class, true, 1, true),
    STATUS("status", Status.class, true, 1, true),
    HEALTH("health", Health.class, true, 0, false),
    EVENT("event", Event.class, true, 1, false),
    RESULT("result", CommandResult.class, true, 1, false),
    DESIRED("desired", DesiredState.class, false, 1, true),
    COMMAND("cmd", Command.class, false, 1, false),
    WITNESS("witness", WitnessRequest.class, true, 1, false),
    WITNESS_REPLY("witness", WitnessReply.class, false, 1, false);

    public final String segment;
    public final Class<? extends Message> type;
    /** true: node to hub; false: hub to node/site. */
    public final boolean up;
    public final int qos;
    public final boolean retained;

    Kind(String segment, Class<? extends Message> type, boolean up, int qos, boolean retained) {
        this.segment = segment;
        this.type = type;
        this.up = up;
        this.qos = qos;
        this.retained = retained;
    }

    public static Kind of(Message m) {
        for (Kind k : values()) {
            if (k.type.isInstance(m)) {
                return k;
            }
        }
        throw new IllegalArgumentException("no kind for " + m.getClass());
    }

    static Kind bySegment(String segment, boolean up) {
        for (Kind k : values()) {
            if (k.segment.equals(segment) && k.up == up) {
                return k;
            }
        }
        return null;
    }
}
