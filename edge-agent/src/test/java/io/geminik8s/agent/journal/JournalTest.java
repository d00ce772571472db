package io.geminik8s.agent.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Severity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

    @TempDir
    Path dir;

    private static byte[] text(long seq) {
        return ("entry " + seq).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void pendingEntriesAndSequenceSurviveARestart() {
        Journal j = new Journal(dir, 100);
        long s = j.append(JournalTest::text).orElseThrow();
        for (int i = 1; i < 5; i++) {
            j.append(JournalTest::text);
        }
        j.remove(s + 1);
        j.remove(s + 3);

        Journal reopened = new Journal(dir, 100);
        assertEquals(List.of(s, s + 2, s + 4), reopened.pendingSeqs());
        assertEquals("entry " + (s + 2), new String(reopened.read(s + 2).orElseThrow(), StandardCharsets.UTF_8));
        assertTrue(reopened.read(s + 1).isEmpty(), "acknowledged entries are gone");
        assertEquals(Optional.of(s + 5), reopened.append(JournalTest::text));
    }

    @Test
    void sequenceNeverGoesBackEvenWhenEverythingWasAcknowledged() {
        Journal j = new Journal(dir, 100);
        long s = j.append(JournalTest::text).orElseThrow();
        j.append(JournalTest::text);
        j.remove(s);
        j.remove(s + 1);
        assertEquals(0, new Journal(dir, 100).size());
        assertEquals(Optional.of(s + 2), new Journal(dir, 100).append(JournalTest::text));
    }

    /**
     * A machine reinstalled under its node id (both nodes of a site lost and rebuilt) starts with an empty journal;
     * the hub keeps the first event of each (node, seq), so numbering from 1 again would drop its events.
     */
    @Test
    void aFreshJournalOfTheSameNodeNumbersAboveTheEarlierOne(@TempDir Path other) {
        long before = System.currentTimeMillis();
        Journal first = new Journal(dir, 100);
        long s = first.append(JournalTest::text).orElseThrow();
        assertTrue(s >= Math.max(before, Journal.CLOCK_FLOOR_MS), "a fresh journal numbers from the clock: " + s);
        long last = s;
        for (int i = 0; i < 50; i++) {
            last = first.append(JournalTest::text).orElseThrow();
        }
        long end = last;
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                Math.max(System.currentTimeMillis(), Journal.CLOCK_FLOOR_MS) > end); // 51 events in < 51 ms
        long again = new Journal(other, 100).append(JournalTest::text).orElseThrow();
        assertTrue(again > last, "the reinstalled node's first event " + again + " is above the old one's last "
                + last);
    }

    /** A journal an earlier version numbered from 1 (maybe a reinstall below the hub's count) jumps up once. */
    @Test
    void aJournalNumberedFromOneByAnEarlierVersionJumpsAboveTheClockOnce() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("seq"), "41");
        long before = System.currentTimeMillis();
        Journal j = new Journal(dir, 100);
        long s = j.append(JournalTest::text).orElseThrow();
        assertTrue(s > Math.max(before, Journal.CLOCK_FLOOR_MS), "jumped: " + s);
        assertEquals(Optional.of(s + 1), new Journal(dir, 100).append(JournalTest::text), "once: then it counts on");
    }

    @Test
    void anInterruptedWriteIsDiscardedOnOpen() throws Exception {
        new Journal(dir, 100).append(JournalTest::text);
        Files.writeString(dir.resolve(String.format("%020d.entry.tmp", Journal.CLOCK_FLOOR_MS * 10)), "half");
        Journal j = new Journal(dir, 100);
        assertEquals(1, j.size());
        assertTrue(Files.notExists(dir.resolve(String.format("%020d.entry.tmp", Journal.CLOCK_FLOOR_MS * 10))));
    }

    @Test
    void overflowIsRecordedDurablyAndReportedAsACriticalEventOnceThereIsRoom() {
        Codec codec = new Codec();
        EventLog log = new EventLog("s1", "a", new Journal(dir, 10), codec, Clock.systemUTC());
        for (int i = 0; i < 15; i++) {
            log.record("test.event", Severity.INFO, "n" + i, Map.of());
        }
        assertEquals(10, log.journal().size());
        long s = log.journal().pendingSeqs().get(0);
        assertEquals(Optional.of(new Journal.Overflow(5, s + 10, s + 14)), log.journal().overflow());
        assertTrue(log.reportOverflow().isEmpty(), "no room yet: the report waits");

        Journal reopened = new Journal(dir, 10); // the overflow record survives a restart
        EventLog afterRestart = new EventLog("s1", "a", reopened, codec, Clock.systemUTC());
        assertEquals(Optional.of(new Journal.Overflow(5, s + 10, s + 14)), reopened.overflow());
        reopened.remove(s);
        long reportSeq = afterRestart.reportOverflow().orElseThrow();
        assertEquals(s + 15, reportSeq);
        Event report = codec.decode(Event.class, reopened.read(reportSeq).orElseThrow()).orThrow();
        assertEquals(EventLog.OVERFLOW_TYPE, report.type());
        assertEquals(Severity.CRITICAL, report.severity());
        assertEquals(Map.of("dropped", "5", "firstSeq", Long.toString(s + 10), "lastSeq", Long.toString(s + 14)),
                report.attrs());
        assertTrue(reopened.overflow().isEmpty());
        assertTrue(new Journal(dir, 10).overflow().isEmpty());
    }
}
