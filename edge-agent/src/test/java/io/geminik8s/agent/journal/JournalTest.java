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
        for (int i = 0; i < 5; i++) {
            j.append(JournalTest::text);
        }
        j.remove(2);
        j.remove(4);

        Journal reopened = new Journal(dir, 100);
        assertEquals(List.of(1L, 3L, 5L), reopened.pendingSeqs());
        assertEquals("entry 3", new String(reopened.read(3).orElseThrow(), StandardCharsets.UTF_8));
        assertTrue(reopened.read(2).isEmpty(), "acknowledged entries are gone");
        assertEquals(Optional.of(6L), reopened.append(JournalTest::text));
    }

    @Test
    void sequenceNeverGoesBackEvenWhenEverythingWasAcknowledged() {
        Journal j = new Journal(dir, 100);
        j.append(JournalTest::text);
        j.append(JournalTest::text);
        j.remove(1);
        j.remove(2);
        assertEquals(0, new Journal(dir, 100).size());
        assertEquals(Optional.of(3L), new Journal(dir, 100).append(JournalTest::text));
    }

    @Test
    void anInterruptedWriteIsDiscardedOnOpen() throws Exception {
        new Journal(dir, 100).append(JournalTest::text);
        Files.writeString(dir.resolve("00000000000000000002.entry.tmp"), "half");
        Journal j = new Journal(dir, 100);
        assertEquals(1, j.size());
        assertTrue(Files.notExists(dir.resolve("00000000000000000002.entry.tmp")));
    }

    @Test
    void overflowIsRecordedDurablyAndReportedAsACriticalEventOnceThereIsRoom() {
        Codec codec = new Codec();
        EventLog log = new EventLog("s1", "a", new Journal(dir, 10), codec, Clock.systemUTC());
        for (int i = 0; i < 15; i++) {
            log.record("test.event", Severity.INFO, "n" + i, Map.of());
        }
        assertEquals(10, log.journal().size());
        assertEquals(Optional.of(new Journal.Overflow(5, 11, 15)), log.journal().overflow());
        assertTrue(log.reportOverflow().isEmpty(), "no room yet: the report waits");

        Journal reopened = new Journal(dir, 10); // the overflow record survives a restart
        EventLog afterRestart = new EventLog("s1", "a", reopened, codec, Clock.systemUTC());
        assertEquals(Optional.of(new Journal.Overflow(5, 11, 15)), reopened.overflow());
        reopened.remove(1);
        long reportSeq = afterRestart.reportOverflow().orElseThrow();
        assertEquals(16, reportSeq);
        Event report = codec.decode(Event.class, reopened.read(reportSeq).orElseThrow()).orThrow();
        assertEquals(EventLog.OVERFLOW_TYPE, report.type());
        assertEquals(Severity.CRITICAL, report.severity());
        assertEquals(Map.of("dropped", "5", "firstSeq", "11", "lastSeq", "15"), report.attrs());
        assertTrue(reopened.overflow().isEmpty());
        assertTrue(new Journal(dir, 10).overflow().isEmpty());
    }
}
