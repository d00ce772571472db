package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.StandbyStatus;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The state machine owns the fence: a fence fired outside the loop (the timer while the loop hangs in a SQL call,
 * the watchdog) reaches the machine, which goes FENCED and writes again only after a hub grant; no two of fence,
 * unfence, promote and rejoin ever run at once; the node is fenced once per lapse, not fenced again behind an
 * unfence.
 */
class HaSupervisorFenceTest {

    private static final HaTiming T = new HaTiming(100, 300, 2_000, 100);

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger overlaps = new AtomicInteger();
    private final CountDownLatch sqlHangs = new CountDownLatch(1);
    private volatile boolean hubAnswers;
    private volatile boolean hangTheFirstSqlCall;
    private HaSupervisor primary;

    private final SiteDriver driver = new SiteDriver() {
        public void fence(long epoch) {
            step("fence by " + (Thread.currentThread().getName().equals("gk8s-fence-timer") ? "timer" : "loop"));
        }

        public void unfence(long epoch) {
            step("unfence");
        }

        public void promote(long epoch) {
            step("promote");
        }

        public void forcePromote(long epoch) {
            step("force-promote");
        }

        public void rejoin(long epoch, String holder) {
            step("rejoin");
        }

        public boolean localAnswers() {
            return true;
        }

        public void restartDatabase() {
        }

        public boolean peerStreaming() {
            return true;
        }

        public StandbyStatus peerStatus() {
            return new StandbyStatus(true, true, false, false); // streaming, not yet named: the loop names it
        }

        public void useSyncStandby(String peer) {
            if (hangTheFirstSqlCall && calls.stream().noneMatch(c -> c.startsWith("fence"))) {
                try {
                    sqlHangs.await(10, TimeUnit.SECONDS); // a hung ALTER SYSTEM on the loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        public void dropSyncStandby(String peer) {
        }
    };

    private void step(String what) {
        if (active.incrementAndGet() > 1) {
            overlaps.incrementAndGet();
        }
        calls.add(what);
        Thread.onSpinWait();
        active.decrementAndGet();
    }

    /** The answer to the primary's first renewal (sent at its start), when the test completes it. */
    private final CompletableFuture<WitnessReply> firstRenew = new CompletableFuture<>();
    private final AtomicBoolean renewedOnce = new AtomicBoolean();

    /** The first renewal answers when the test says; later ones are granted once {@link #hubAnswers}. */
    private final WitnessPort hub = (op, epoch, peer, since) -> {
        if (op != Op.RENEW) {
            return new CompletableFuture<>();
        }
        if (renewedOnce.compareAndSet(false, true)) {
            return firstRenew.thenApply(r -> {
                calls.add("renew granted");
                return r;
            });
        }
        if (!hubAnswers) {
            return new CompletableFuture<>();
        }
        calls.add("renew granted");
        return CompletableFuture.completedFuture(grant());
    };

    private static WitnessReply grant() {
        return new WitnessReply("1.0", "r", "s1", "a", 0L, WitnessReply.Outcome.GRANTED, 1L, "a", 60_000L, null, null);
    }

    private HaSupervisor start(Consumer<Consumer<String>> watchdogFeed) throws Exception {
        long now = System.nanoTime() / 1_000_000;
        primary = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, now, false, T, now), hub, driver,
                (type, severity, message, attrs) -> events.add(type), fired -> {
                    watchdogFeed.accept(fired);
                    return null;
                });
        primary.start(onPacket -> new PeerLink(new InetSocketAddress("127.0.0.1", FreePort.find()),
                new InetSocketAddress("127.0.0.1", FreePort.find()), "s1", "a", "b", PeerLinkTest.KEY, onPacket));
        return primary;
    }

    @AfterEach
    void close() {
        sqlHangs.countDown();
        if (primary != null) {
            primary.close();
        }
    }

    /** What was called from index {@code from} on, as one snapshot (the HA thread keeps appending). */
    private List<String> callsSince(int from) {
        List<String> snapshot = List.copyOf(calls);
        return snapshot.subList(from, snapshot.size());
    }

    @Test
    void theTimerFencesWhileTheLoopHangsAndTheMachineLearnsIt() throws Exception {
        hangTheFirstSqlCall = true;
        start(fired -> { });
        // the lease (2 s, no acks, the hub slow) lapses while the loop hangs in a SQL call: the timer fences
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("fence by timer"));
        // then the hub's late grant of the renewal sent at start (60 s from then) would keep the lease alive: the
        // machine must still learn of the fence, or it would renew for good with PostgreSQL dead and no VIP
        hubAnswers = true;
        firstRenew.complete(grant());
        sqlHangs.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("unfence"));
        // let a late report of the timer's fence (it is queued behind the hung call) have its chance to misfire
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> calls.stream().filter(c -> c.startsWith("fence")).count() == 2);
        List<String> steps = calls.stream().filter(c -> !c.equals("renew granted")).toList();
        assertEquals(List.of("fence by timer", "fence by loop", "unfence"), steps);
        List<String> seen = callsSince(0); // renewals go on: a view of the live list can fail mid-read
        assertTrue(seen.subList(seen.indexOf("fence by loop"), seen.indexOf("unfence")).contains("renew granted"),
                calls.toString()); // written again only on a grant asked for after the fence
        assertEquals(0, overlaps.get(), "two driver steps ran at once: " + calls);
        assertEquals(1, events.stream().filter("ha.fenced"::equals).count(), events.toString());
        assertEquals(PairMachine.State.ALONE, primary.state());
    }

    @Test
    void aWatchdogsFenceReachesTheMachineWhichAsksTheHubBeforeWritingAgain() throws Exception {
        AtomicReference<Consumer<String>> watchdog = new AtomicReference<>();
        hubAnswers = true;
        firstRenew.complete(grant());
        start(watchdog::set);
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("renew granted")); // lease 60 s now
        int before = calls.size();
        watchdog.get().accept("fired lease-lapsed 20 4242"); // what the watchdog process answers after a fence
        await().atMost(Duration.ofSeconds(5)).until(() -> callsSince(before).contains("unfence"));
        List<String> after = callsSince(before);
        // renewals go on while the primary runs alone; the steps are one fence, then a grant, then one unfence
        assertEquals(List.of("fence by loop", "unfence"), after.stream().filter(c -> !c.equals("renew granted"))
                .toList(), calls.toString());
        // a grant between the fence and the unfence (renewals go on after it too: not the last one)
        assertTrue(after.subList(after.indexOf("fence by loop"), after.indexOf("unfence")).contains("renew granted"),
                after.toString());
        assertEquals(0, overlaps.get());
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("ha.unfenced"));
        assertEquals(PairMachine.State.ALONE, primary.state());
    }
}
