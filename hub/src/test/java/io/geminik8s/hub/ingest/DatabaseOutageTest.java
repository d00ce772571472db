package io.geminik8s.hub.ingest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Severity;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The hub's PostgreSQL hangs (SIGSTOP of the postmaster and every backend: a database host that stopped answering,
 * the case no connection error reports) under a running hub: the API answers 503 problem details with Retry-After,
 * readiness is DOWN, and events nodes send meanwhile are held by the broker (not acknowledged) and all stored once
 * it answers again.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class DatabaseOutageTest {

    private static int stored(String site) {
        List<?> items = given().get("/api/v1/sites/" + site + "/events").then().extract().path("items");
        return items == null ? 0 : items.size();
    }

    private static void send(MqttPublisher mqtt, String site, long from, long to) {
        for (long seq = from; seq <= to; seq++) {
            mqtt.publish(new Event("1.0", site, "a", seq, System.currentTimeMillis(), "test.tick", Severity.INFO, "t",
                    Map.of()));
        }
    }

    /** The hub's own WARN and ERROR lines, and how many carried a stack trace. */
    private static final class WarningCounter extends java.util.logging.Handler {
        final java.util.concurrent.atomic.AtomicInteger lines = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger stacks = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.Queue<String> withStack = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.Set<String> loggers = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public void publish(java.util.logging.LogRecord r) {
            if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue() && r.getLoggerName() != null
                    && r.getLoggerName().startsWith("io.geminik8s")) {
                lines.incrementAndGet();
                loggers.add(r.getLoggerName());
                if (r.getThrown() != null) {
                    stacks.incrementAndGet();
                    withStack.add(r.getLoggerName() + ": " + r.getMessage() + " <- " + r.getThrown());
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private static void signal(String name, List<ProcessHandle> processes) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + name));
        processes.forEach(p -> cmd.add(Long.toString(p.pid())));
        assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor());
    }

    @Test
    void aHungDatabaseIs503AndNotReadyAndLosesNothing() throws Exception {
        IngestProbe.awaitIngestReady();
        String site = "dbdown-" + UUID.randomUUID().toString().substring(0, 8);
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        int port = Integer.parseInt(url.replaceAll(".*:(\\d+)/.*", "$1"));
        try (MqttPublisher mqtt = new MqttPublisher()) {
            send(mqtt, site, 1, 20);
            await().atMost(Duration.ofSeconds(20)).until(() -> stored(site) == 20);

            ProcessHandle postmaster = ProcessHandle.allProcesses().filter(p -> {
                List<String> args = List.of(p.info().arguments().orElse(new String[0]));
                return p.info().command().orElse("").endsWith("/postgres") && args.contains(Integer.toString(port));
            }).findFirst().orElseThrow(() -> new AssertionError("no postmaster on port " + port));
            List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
            all.add(postmaster);
            WarningCounter warnings = new WarningCounter();
            java.util.logging.Logger.getLogger("").addHandler(warnings);
            try {
                signal("STOP", all);
                ExtractableResponse<Response> r = await().atMost(Duration.ofSeconds(30))
                        .until(() -> given().get("/api/v1/sites/" + site).then().extract(), x -> x.statusCode() == 503);
                assertEquals("5", r.header("Retry-After"));
                assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
                assertTrue(r.asString().contains("fleet database"), r.asString());
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> given().get("/q/health/ready").then().extract().statusCode() == 503);
                send(mqtt, site, 21, 40); // the broker takes them; the hub holds them unacknowledged
                // the periodic template scan (every 2 s in tests) must have met the outage and said so
                await().atMost(Duration.ofSeconds(30)).until(() -> warnings.loggers.contains(
                        io.geminik8s.hub.template.TemplateFolder.class.getName()));
            } finally {
                signal("CONT", all);
                java.util.logging.Logger.getLogger("").removeHandler(warnings);
            }
            System.out.printf("during the outage: %d warnings from the hub, %d with a stack trace%n",
                    warnings.lines.get(), warnings.stacks.get());
            assertEquals(0, warnings.stacks.get(), "no stack trace per failed retry: " + warnings.withStack);
            assertTrue(warnings.lines.get() <= 40, "a few lines per failing job: " + warnings.lines.get());
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> given().get("/q/health/ready").then().extract().statusCode() == 200);
            await().atMost(Duration.ofSeconds(30)).until(() -> stored(site) == 40);
            assertEquals(40, stored(site), "every event is stored once");
        }
    }
}
