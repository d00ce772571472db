package io.geminik8s.agent.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes that survive a power cut: a rename is durable only once its directory has been fsynced. */
public final class DurableFiles {

    private DurableFiles() {
    }

    /** fsync of a directory: makes the creations, renames and deletions of its entries durable. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
