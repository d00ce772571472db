package io.geminik8s.agent.ha;

import java.util.function.BiConsumer;

/**
 * Where a standby's rebuild ({@link HaSupervisor#rebuild(StandbyCopy)}) takes its data from: {@code copy} gets the
 * epoch and the holder it follows and replaces the node's data (a fresh base backup of the holder's, or the backup
 * repository's newest backup with the archived WAL); {@code source} says which, for the journal and the answer.
 */
public record StandbyCopy(String source, BiConsumer<Long, String> copy) {
}
