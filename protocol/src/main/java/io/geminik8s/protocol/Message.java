package io.geminik8s.protocol;

import java.util.Optional;

/** A payload of the geminik8s MQTT protocol. Every message carries its schema version in {@code v}. */
public sealed interface Message permits Birth, Status, Health, Event, DesiredState, Command, CommandResult,
        WitnessRequest, WitnessReply {

    /** Schema version, "major.minor". */
    String v();

    /** The site the message is about. */
    String site();

    /** Semantic checks after JSON binding: the first violated rule, if any. */
    Optional<DecodeError> validate();
}
