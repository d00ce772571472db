package io.geminik8s.agent.link;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The base of this agent process's connection sessions: the persisted base of the previous start plus
 * {@value #PER_START}, so sessions grow over restarts whatever the node's clock says (a node that booted with its
 * clock behind was ignored by the hub). Only the first start ever (or after the file was lost) takes the clock:
 * epoch ms × 1000, the numbering of agents before this file existed, so an upgraded node keeps growing.
 */
public final class SessionBase {

    /** Room for this many connections per start. */
    public static final long PER_START = 1_000_000;
    static final String FILE = "session-base";

    private SessionBase() {
    }

    public static long next(Path stateDir, long nowEpochMillis) {
        Path file = stateDir.resolve(FILE);
        try {
            OptionalLong previous = DurableFiles.readLong(file);
            long base = previous.isPresent() ? previous.getAsLong() + PER_START : nowEpochMillis * 1000;
            DurableFiles.privateDirectory(stateDir);
            DurableFiles.writeString(file, Long.toString(base));
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the session base in " + file, e);
        }
    }
}
