package io.geminik8s.embedded;

import com.hivemq.configuration.service.InternalConfigurations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many buckets HiveMQ splits its on-disk stores into. Each bucket of the message and retained-message stores
 * is a RocksDB instance with its own memtable, caches and native allocations; HiveMQ's default of 64 per store is
 * sized for brokers with hundreds of thousands of clients and cost the hub ~70 MB of native memory at 2,000 nodes
 * (load-tests/reports/cost-2000-10s.md). The count is fixed when a data folder is created: a folder made with
 * another count (an older hub's) keeps it.
 */
final class StoreBuckets {

    static final int DEFAULT = 4;
    private static final String MARKER = "gk8s-store-buckets";

    private StoreBuckets() {
    }

    static synchronized void apply(Path dataFolder) {
        try {
            Path marker = dataFolder.resolve(MARKER);
            int buckets;
            if (Files.exists(marker)) {
                buckets = Integer.parseInt(Files.readString(marker).trim());
            } else if (isEmpty(dataFolder)) {
                buckets = DEFAULT;
                Files.writeString(marker, Integer.toString(buckets));
            } else {
                buckets = 64; // made by a hub before this setting: HiveMQ's default
            }
            InternalConfigurations.PERSISTENCE_BUCKET_COUNT.set(buckets);
            InternalConfigurations.PAYLOAD_PERSISTENCE_BUCKET_COUNT.set(buckets);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isEmpty(Path folder) throws IOException {
        try (var entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        }
    }
}
