package io.geminik8s.loadtest.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** RSS and CPU time of a process (and of its descendants: the hub's embedded PostgreSQL) from /proc. */
public final class ProcessStats {

    private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private ProcessStats() {
    }

    /** Resident memory in MB of {@code pid} alone. */
    public static double rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** Proportional set size in MB of {@code pid} and its descendants: shared memory counted once in total. */
    public static double pssMb(long pid) {
        return Stream.concat(Stream.of(pid), descendants(pid)).mapToDouble(p -> {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + p + "/smaps_rollup"))) {
                    if (line.startsWith("Pss:")) {
                        return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                    }
                }
            } catch (IOException | RuntimeException e) {
                return 0;
            }
            return 0;
        }).sum();
    }

    /** Resident memory in MB of the descendants of {@code pid} (not {@code pid} itself). */
    public static double descendantsRssMb(long pid) {
        return descendants(pid).mapToDouble(ProcessStats::rssMb).sum();
    }

    /**
     * Busy, total and kernel (system + irq + softirq) CPU time of the whole machine so far, in clock ticks (all
     * cores; /proc/stat).
     */
    public static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            long kernel = Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7]);
            return new long[] {total - idle, total, kernel};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0, 0};
        }
    }

    /** Open file descriptors of {@code pid} (sockets included); -1 if unreadable. */
    public static long openFiles(long pid) {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The soft limit on open files of {@code pid} ({@code RLIMIT_NOFILE}); -1 if unreadable. */
    public static long openFilesLimit(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
                if (line.startsWith("Max open files")) {
                    return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** CPU seconds (user + system) used so far by {@code pid} and its descendants. */
    public static double cpuSeconds(long pid) {
        return Stream.concat(Stream.of(pid), descendants(pid)).mapToDouble(ProcessStats::ownCpuSeconds).sum();
    }

    private static Stream<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid)).orElse(Stream.empty());
    }

    private static double ownCpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND; // utime, stime
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
