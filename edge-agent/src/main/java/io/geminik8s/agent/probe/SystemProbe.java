package io.geminik8s.agent.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU, memory, disk and uptime from /proc and the file system: works on any Linux box. Unreadable sources give
 * null fields, never an exception. CPU is the busy share between two consecutive samples.
 */
public final class SystemProbe {

    public record Sample(Double cpuPct, Long memUsedBytes, Long memTotalBytes, Long diskUsedBytes,
                         Long diskTotalBytes, Long uptimeS) {
    }

    private final Path proc;
    private final Path disk;
    private long lastBusy = -1;
    private long lastTotal = -1;

    public SystemProbe(Path proc, Path disk) {
        this.proc = proc;
        this.disk = disk;
    }

    public synchronized Sample sample() {
        Long memTotal = null;
        Long memUsed = null;
        try {
            long total = -1;
            long available = -1;
            for (String line : Files.readAllLines(proc.resolve("meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    total = kib(line);
                } else if (line.startsWith("MemAvailable:")) {
                    available = kib(line);
                }
            }
            if (total >= 0 && available >= 0) {
                memTotal = total;
                memUsed = total - available;
            }
        } catch (IOException | RuntimeException e) {
            // leave memory unknown
        }
        Long diskTotal = null;
        Long diskUsed = null;
        try {
            var store = Files.getFileStore(disk);
            diskTotal = store.getTotalSpace();
            diskUsed = store.getTotalSpace() - store.getUnallocatedSpace();
        } catch (IOException e) {
            // leave disk unknown
        }
        return new Sample(cpu(), memUsed, memTotal, diskUsed, diskTotal, uptime());
    }

    private Double cpu() {
        try {
            List<String> lines = Files.readAllLines(proc.resolve("stat"));
            String[] f = lines.get(0).trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            long busy = total - idle;
            Double pct = null;
            if (lastTotal >= 0 && total > lastTotal) {
                pct = Math.max(0, Math.min(100, 100.0 * (busy - lastBusy) / (total - lastTotal)));
                // 0.1 % is finer than a 30 s sample means; 94.04922454484154 cost 13 bytes more in every sample
                pct = Math.round(pct * 10) / 10.0;
            }
            lastBusy = busy;
            lastTotal = total;
            return pct;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private Long uptime() {
        try {
            String first = Files.readString(proc.resolve("uptime")).trim().split("\\s+")[0];
            return (long) Double.parseDouble(first);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }
}
