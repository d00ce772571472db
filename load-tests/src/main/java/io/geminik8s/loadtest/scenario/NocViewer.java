package io.geminik8s.loadtest.scenario;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;

/** One open NOC page of {@link NocAtScale}: its live stream, and re-reads of its table page as the page does them. */
final class NocViewer {

    static final java.util.concurrent.atomic.AtomicReference<String> FAILURE = new java.util.concurrent.atomic.AtomicReference<>();
    private static final java.util.regex.Pattern AT = java.util.regex.Pattern.compile("\"at\":\"([^\"]+)\"");
    private static final java.util.regex.Pattern TOTAL = java.util.regex.Pattern.compile("\"total\":(\\d+)");
    /** The default view's rows: the first 25 sites by id. */
    private static final java.util.regex.Pattern FIRST_PAGE = java.util.regex.Pattern.compile("\"noc-0000([01]\\d|2[0-5])\"");

    final AtomicLong updates = new AtomicLong();
    final AtomicLong tooClose = new AtomicLong();
    final AtomicLong pageReads = new AtomicLong();
    final AtomicLong failedReads = new AtomicLong();
    final AtomicLong more = new AtomicLong();
    final AtomicLong withChanges = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean();
    private final boolean worst;
    private long total = -1;
    final CompletableFuture<Void> first = new CompletableFuture<>();
    private final HttpClient http;
    private final String base;
    private final String token;
    private final ConcurrentHistogram reads;
    private volatile long last;
    private volatile java.io.InputStream body;

    /**
     * {@code worst}: sorted by status, so every update re-reads the page (as the page does); otherwise the default
     * view (sorted by id, first 25 sites) re-reads only when one of its rows changed or the total moved.
     */
    NocViewer(HttpClient http, String base, String token, ConcurrentHistogram reads, boolean worst) {
        this.worst = worst;
        this.http = http;
        this.base = base;
        this.token = token;
        this.reads = reads;
    }

    NocViewer open() {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/v1/noc/stream"))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build();
        Thread reader = new Thread(() -> {
            try {
                body = http.send(req, HttpResponse.BodyHandlers.ofInputStream()).body();
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(body,
                        java.nio.charset.StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) {
                        if (l.startsWith("data:") && l.contains("\"fleet\"")) {
                            update(l);
                        }
                    }
                }
            } catch (java.io.IOException | InterruptedException | RuntimeException e) {
                first.completeExceptionally(e); // closed, or refused
            }
        }, "noc-viewer");
        reader.setDaemon(true);
        reader.start();
        return this;
    }

    private void update(String line) {
        // pacing by the hub's own stamp of each update: the time it arrives here adds this machine's scheduling
        java.util.regex.Matcher stamp = AT.matcher(line);
        long now = stamp.find() ? java.time.OffsetDateTime.parse(stamp.group(1)).toInstant().toEpochMilli() : 0;
        if (last != 0 && now - last < 990) {
            tooClose.incrementAndGet();
        }
        last = now;
        first.complete(null);
        if (line.contains("\"more\":true")) {
            more.incrementAndGet();
        }
        if (!line.contains("\"changed\":[]")) {
            withChanges.incrementAndGet();
        }
        updates.incrementAndGet();
        if (reads == null) {
            return;
        }
        java.util.regex.Matcher t = TOTAL.matcher(line);
        long now2 = t.find() ? Long.parseLong(t.group(1)) : -1;
        boolean totalMoved = total >= 0 && now2 != total;
        total = now2;
        boolean mine = FIRST_PAGE.matcher(line).find();
        boolean changed = !line.contains("\"changed\":[]");
        // one read in flight per page, as a page that is still drawing; asynchronous, so the stream keeps flowing
        if ((worst ? changed : mine || totalMoved || line.contains("\"more\":true")) && reading.compareAndSet(false, true)) {
            long q0 = System.nanoTime();
            http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/v1/sites?size=25" + (worst ? "&sort=status" : "")))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((r, e) -> {
                        if (e == null && r.statusCode() == 200) {
                            reads.recordValue(Math.max(1, (System.nanoTime() - q0) / 1_000_000));
                            pageReads.incrementAndGet();
                        } else {
                            failedReads.incrementAndGet();
                            FAILURE.compareAndSet(null, e != null ? e.toString() : r.statusCode() + " " + r.body());
                        }
                        reading.set(false);
                    });
        }
    }

    void close() {
        try {
            if (body != null) {
                body.close();
            }
        } catch (java.io.IOException e) {
            // closing anyway
        }
    }
}
