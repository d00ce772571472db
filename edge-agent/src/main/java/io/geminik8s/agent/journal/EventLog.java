package io.geminik8s.agent.journal;

import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Severity;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** Records node events into the {@link Journal}, numbering them; reports journal overflow as an event itself. */
public final class EventLog {

    public static final String OVERFLOW_TYPE = "journal.overflow";

    private final String site;
    private final String node;
    private final Journal journal;
    private final Codec codec;
    private final Clock clock;

    public EventLog(String site, String node, Journal journal, Codec codec, Clock clock) {
        this.site = site;
        this.node = node;
        this.journal = journal;
        this.codec = codec;
        this.clock = clock;
    }

    /** Journals an event; empty when the journal is full (the drop is then recorded as overflow). */
    public Optional<Long> record(String type, Severity severity, String message, Map<String, String> attrs) {
        return journal.append(seq -> codec.encode(event(seq, type, severity, message, attrs)));
    }

    /** If events were dropped and there is room again, journals one critical event that says so. */
    public Optional<Long> reportOverflow() {
        return journal.takeOverflow().flatMap(o -> journal.appendOverflowReport(seq -> codec.encode(event(seq,
                OVERFLOW_TYPE, Severity.CRITICAL, o.dropped() + " events dropped: journal was full",
                Map.of("dropped", Long.toString(o.dropped()), "firstSeq", Long.toString(o.firstSeq()),
                        "lastSeq", Long.toString(o.lastSeq()))))));
    }

    public Journal journal() {
        return journal;
    }

    private Event event(long seq, String type, Severity severity, String message, Map<String, String> attrs) {
        return new Event(SchemaVersion.CURRENT.toString(), site, node, seq, clock.millis(), type, severity, message,
                attrs);
    }
}
