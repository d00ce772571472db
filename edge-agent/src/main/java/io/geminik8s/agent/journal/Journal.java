package io.geminik8s.agent.journal;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Store-and-forward journal: one fsync'ed file per entry, named by its sequence number, written before the entry is
 * sent and deleted when the broker acknowledged it. Sequence numbers survive restarts ({@code seq} file).
 *
 * <p>Bounded: when {@code maxEntries} are pending, a new entry is not stored; its sequence number is still consumed
 * and the drop is recorded durably in {@code overflow}, so that the owner can report it ({@link #takeOverflow()})
 * once there is room again. Nothing is dropped silently.
 */
public final class Journal {

    private static final Logger LOG = Logger.getLogger(Journal.class.getName());

    /** Entries dropped while the journal was full: how many and the range of their sequence numbers. */
    public record Overflow(long dropped, long firstSeq, long lastSeq) {
    }

    /**
     * 2026-11-01T00:00:00Z in ms, before this code was written: a machine whose clock is years behind (a reset
     * real-time clock) still numbers above every journal of an earlier agent version, which counted from 1.
     */
    static final long CLOCK_FLOOR_MS = 1_793_491_200_000L;

    private final Path dir;
    private final int maxEntries;
    private final TreeMap<Long, Path> pending = new TreeMap<>();
    private long lastSeq;
    private Overflow overflow;

    public Journal(Path dir, int maxEntries) {
        this.dir = dir;
        this.maxEntries = maxEntries;
        try {
            DurableFiles.privateDirectory(dir);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".tmp")) {
                        Files.delete(p); // a write that never completed: it was never acknowledged to anyone
                    } else if (name.endsWith(".entry")) {
                        long seq = Long.parseLong(name.substring(0, name.length() - ".entry".length()));
                        pending.put(seq, p);
                    }
                }
            }
            lastSeq = Math.max(storedLastSeq(), pending.isEmpty() ? 0 : pending.lastKey());
            overflow = DurableFiles.readText(dir.resolve("overflow")).flatMap(Journal::parseOverflow).orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open journal " + dir, e);
        }
    }

    /**
     * Assigns the next sequence number and stores {@code render(seq)}. Returns the sequence number, or empty when
     * the journal is full (the drop is recorded as overflow).
     */
    public synchronized Optional<Long> append(LongFunction<byte[]> render) {
        long seq = ++lastSeq;
        try {
            write("seq", Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
            if (pending.size() >= maxEntries) {
                overflow = overflow == null ? new Overflow(1, seq, seq)
                        : new Overflow(overflow.dropped() + 1, overflow.firstSeq(), seq);
                write("overflow", (overflow.dropped() + " " + overflow.firstSeq() + " " + overflow.lastSeq())
                        .getBytes(StandardCharsets.US_ASCII));
                return Optional.empty();
            }
            store(seq, render.apply(seq));
            return Optional.of(seq);
        } catch (IOException e) {
            throw new UncheckedIOException("journal write failed in " + dir, e);
        }
    }

    /** Stores the overflow report itself: allowed one entry past the bound, so the report always fits. */
    public synchronized Optional<Long> appendOverflowReport(LongFunction<byte[]> render) {
        if (overflow == null || pending.size() > maxEntries) {
            return Optional.empty();
        }
        long seq = ++lastSeq;
        try {
            write("seq", Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
            store(seq, render.apply(seq));
            overflow = null;
            Files.deleteIfExists(dir.resolve("overflow"));
            return Optional.of(seq);
        } catch (IOException e) {
            throw new UncheckedIOException("journal write failed in " + dir, e);
        }
    }

    private void store(long seq, byte[] payload) throws IOException {
        String name = String.format("%020d.entry", seq);
        write(name, payload);
        pending.put(seq, dir.resolve(name));
    }

    public synchronized Optional<Overflow> overflow() {
        return Optional.ofNullable(overflow);
    }

    /** Overflow to report, if there is room for the report now. */
    public synchronized Optional<Overflow> takeOverflow() {
        return overflow != null && pending.size() < maxEntries ? Optional.of(overflow) : Optional.empty();
    }

    /** Sequence numbers of the pending entries, oldest first (no I/O). */
    public synchronized List<Long> pendingSeqs() {
        return new ArrayList<>(pending.keySet());
    }

    /** The stored payload of a pending entry, or empty if it was acknowledged meanwhile. */
    public synchronized Optional<byte[]> read(long seq) {
        Path p = pending.get(seq);
        try {
            return p == null ? Optional.empty() : Optional.of(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized int size() {
        return pending.size();
    }

    public synchronized long lastSeq() {
        return lastSeq;
    }

    /** Acknowledged: forget the entry. Unknown sequence numbers are ignored (duplicate acks). */
    public synchronized void remove(long seq) {
        Path p = pending.remove(seq);
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * The last sequence number handed out. The hub keeps the first event of a (node, seq) and drops later ones, so a
     * number must never be reused — not even by another journal of the same node id: a machine reinstalled or
     * replaced under its id (both nodes of a site lost and rebuilt, docs/backup.md) starts with an empty state
     * folder, and numbered from 1 its events would be dropped as ones the hub already has. So a journal without a
     * sequence file (fresh, or the file damaged) numbers from the wall clock in ms: above any number an earlier
     * journal of this node reached, unless it wrote more than one event per millisecond of its life or this
     * machine's clock is behind the earlier one's (then {@link #CLOCK_FLOOR_MS}, this code's release, bounds it).
     * A journal an earlier agent version numbered from 1 jumps up once (a node reinstalled under that version would
     * otherwise stay below the hub's count). A state folder restored from a snapshot can still reuse numbers.
     */
    private long storedLastSeq() throws IOException {
        Path file = dir.resolve("seq");
        boolean present = Files.exists(file);
        OptionalLong seq = DurableFiles.readLong(file);
        if (seq.isPresent() && seq.getAsLong() >= CLOCK_FLOOR_MS) {
            return seq.getAsLong();
        }
        if (seq.isPresent()) { // numbered by an earlier version from 1: perhaps a reinstall below the hub's count
            long floor = Math.max(System.currentTimeMillis(), CLOCK_FLOOR_MS);
            LOG.info("journal numbered from 1 by an earlier agent version: numbering goes on from " + floor);
            return floor;
        }
        long floor = Math.max(System.currentTimeMillis(), CLOCK_FLOOR_MS);
        if (present) {
            LOG.warning("journal sequence damaged: numbering goes on from " + floor);
        }
        return floor;
    }

    private void write(String name, byte[] bytes) throws IOException {
        DurableFiles.write(dir.resolve(name), bytes);
    }

    private static Optional<Overflow> parseOverflow(String text) {
        try {
            String[] p = text.split(" ");
            return Optional.of(new Overflow(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2])));
        } catch (RuntimeException e) {
            LOG.warning("journal overflow record damaged (" + text.length() + " characters): ignored");
            return Optional.empty();
        }
    }
}
