package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code gk8s rollout create|status|sites|pause|resume|abort|approve}. */
@Command(name = "rollout", description = "Start, watch and steer staged rollouts.",
        subcommands = {RolloutCommand.Create.class, RolloutCommand.Status.class, RolloutCommand.Sites.class,
                RolloutCommand.Steer.class})
final class RolloutCommand {

    static final List<Output.Column> COLUMNS = List.of(new Output.Column("ID", "/id"),
            new Output.Column("TEMPLATE", "/template"), new Output.Column("TO", "/toRevision"),
            new Output.Column("PHASE", "/phase"), new Output.Column("WAVE", "/openWave"),
            new Output.Column("SUCCEEDED", "/counts/succeeded"), new Output.Column("FAILED", "/counts/failed"),
            new Output.Column("DEFERRED", "/counts/deferred"), new Output.Column("REASON", "/reason"));

    @ParentCommand
    Gk8s root;

    @Command(name = "create", description = "Start a rollout of a template revision.")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        RolloutCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--kind", description = "template (default) or certificate-rotation (no template or "
                + "revision: the selected sites' nodes renew their certificates, standby first; admin only)")
        String kind;
        @Option(names = "--template", description = "the template (kind template)")
        String template;
        @Option(names = "--to-revision", description = "the revision to roll out (kind template)")
        Integer toRevision;
        @Option(names = {"-l", "--selector"}, split = ",", description = "key=value labels the sites must carry")
        Map<String, String> selector;
        @Option(names = "--canary", description = "a count (1) or a share (2%%)")
        String canary;
        @Option(names = "--waves", split = ",", description = "growing shares ending at 100%%, e.g. 10%%,50%%,100%%")
        List<String> waves;
        @Option(names = "--soak", description = "ISO-8601, e.g. PT10M")
        String soak;
        @Option(names = "--max-in-flight")
        Integer maxInFlight;
        @Option(names = "--failure-threshold")
        Double failureThreshold;
        @Option(names = "--on-failure", description = "pause or abort")
        String onFailure;
        @Option(names = "--site-timeout", description = "ISO-8601, e.g. PT30M")
        String siteTimeout;
        @Option(names = "--pause-after-each-wave")
        Boolean pauseAfterEachWave;
        @Option(names = "--window-cron", description = "five-field cron in each site's time zone, e.g. '0 2 * * *'")
        String windowCron;
        @Option(names = "--window-duration", description = "ISO-8601, e.g. PT4H")
        String windowDuration;
        @Option(names = "--prestage", description = "send the revision this long before a site's window opens")
        String prestage;

        @Override
        public Integer call() {
            HubClient hub = parent.root.client();
            ObjectNode body = hub.json().createObjectNode();
            if (kind != null) {
                body.put("kind", kind);
            }
            if (template != null) {
                body.put("template", template);
            }
            if (toRevision != null) {
                body.put("toRevision", toRevision);
            }
            if (selector != null) {
                body.set("selector", hub.json().valueToTree(selector));
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("canary", canary);
            s.put("waves", waves);
            s.put("soak", soak);
            s.put("maxInFlight", maxInFlight);
            s.put("failureThreshold", failureThreshold);
            s.put("onFailure", onFailure);
            s.put("siteTimeout", siteTimeout);
            s.put("pauseAfterEachWave", pauseAfterEachWave);
            s.values().removeIf(v -> v == null);
            body.set("strategy", hub.json().valueToTree(s));
            if (windowCron != null) {
                body.putObject("window").put("cron", windowCron).put("duration", windowDuration);
            }
            if (prestage != null) {
                body.put("prestage", prestage);
            }
            JsonNode r = hub.post("/api/v1/rollouts", null, body);
            Output.print(spec.commandLine().getOut(), parent.root.output, r, COLUMNS);
            return 0;
        }
    }

    @Command(name = "status", description = "Progress of a rollout; -w follows it until it finishes.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        RolloutCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "rollout id")
        long id;
        @Option(names = {"-w", "--watch"}, description = "follow until succeeded, aborted or paused (exit 0, 1 aborted, 2 paused:"
                + " an operator decides, resume or abort)")
        boolean watch;
        @Option(names = "--interval-ms", defaultValue = "1000", description = "how often -w asks the hub")
        long intervalMs;

        @Override
        public Integer call() throws Exception {
            HubClient hub = parent.root.client();
            PrintWriter out = spec.commandLine().getOut();
            String[] last = {null};
            java.util.concurrent.CompletableFuture<Integer> done = new java.util.concurrent.CompletableFuture<>();
            Runnable poll = () -> {
                try {
                    JsonNode r = hub.get("/api/v1/rollouts/" + id, Map.of());
                    Output.Format format = parent.root.output;
                    // json: one compact document per line (with -w, one per change); yaml: documents with ---
                    String line = format == Output.Format.table ? line(r) : format == Output.Format.json
                            ? r.toString() : "---\n" + new com.fasterxml.jackson.databind.ObjectMapper(
                                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).writeValueAsString(r)
                                    .replaceFirst("^---\\n", "").stripTrailing();
                    if (!line.equals(last[0])) {
                        out.println(line);
                        out.flush();
                        last[0] = line;
                    }
                    String phase = r.path("phase").asText();
                    if (!watch || phase.equals("succeeded") || phase.equals("aborted") || phase.equals("paused")) {
                        done.complete(!watch ? 0 : phase.equals("aborted") ? 1 : phase.equals("paused") ? 2 : 0);
                    }
                } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
                    done.completeExceptionally(e);
                }
            };
            var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            try {
                timer.scheduleWithFixedDelay(poll, 0, intervalMs, java.util.concurrent.TimeUnit.MILLISECONDS);
                return done.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            } finally {
                timer.shutdownNow();
            }
        }

        static String line(JsonNode r) {
            JsonNode c = r.path("counts");
            int total = 0;
            for (JsonNode n : c) {
                total += n.asInt();
            }
            int finished = c.path("succeeded").asInt() + c.path("failed").asInt() + c.path("timed_out").asInt()
                    + c.path("rolled_back").asInt();
            String what = r.hasNonNull("template") ? r.path("template").asText() + " revision "
                    + r.path("toRevision").asInt() : "certificate rotation";
            // waves are numbered from 0 (the canary) everywhere: the API, the table's WAVE column, the hub's reasons
            int open = r.path("openWave").asInt();
            return String.format("rollout %d %s  %s  %s  wave %d%s of 0-%d  succeeded %d  in flight %d"
                            + "  deferred %d  failed %d%s", r.path("id").asLong(), what, Output.bar(finished, total, 20), r.path("phase").asText(),
                    open, open == 0 ? " (canary)" : "", r.path("waves").asInt() - 1, c.path("succeeded").asInt(),
                    c.path("in_progress").asInt() + c.path("verifying").asInt(), c.path("deferred").asInt(),
                    c.path("failed").asInt() + c.path("timed_out").asInt(),
                    r.hasNonNull("reason") ? "  (" + r.path("reason").asText() + ")" : "");
        }
    }

    @Command(name = "sites", description = "A rollout's sites, optionally in one state (e.g. failed).")
    static final class Sites implements Callable<Integer> {
        @ParentCommand
        RolloutCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "rollout id")
        long id;
        @Option(names = "--state")
        String state;

        @Override
        public Integer call() {
            HubClient hub = parent.root.client();
            Map<String, String> q = new LinkedHashMap<>();
            q.put("state", state);
            Output.print(spec.commandLine().getOut(), parent.root.output, hub.get("/api/v1/rollouts/" + id + "/sites",
                    q), List.of(new Output.Column("SITE", "/site"), new Output.Column("WAVE", "/wave"),
                    new Output.Column("STATE", "/state"), new Output.Column("FROM", "/previousRevision"),
                    new Output.Column("GENERATION", "/targetGeneration"), new Output.Column("REASON", "/reason")));
            return 0;
        }
    }

    @Command(name = "steer", aliases = {"pause", "resume", "abort", "approve"},
            description = "pause | resume | abort | approve (the next wave) ID [--reason TEXT]")
    static final class Steer implements Callable<Integer> {
        @ParentCommand
        RolloutCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "rollout id")
        long id;
        @Option(names = "--reason", description = "kept in the rollout's audit")
        String reason;

        @Override
        public Integer call() {
            String action = spec.commandLine().getParseResult().originalArgs().stream()
                    .filter(a -> List.of("pause", "resume", "abort", "approve").contains(a)).findFirst()
                    .orElseThrow(() -> new HubClient.Failure("say pause, resume, abort or approve"));
            HubClient hub = parent.root.client();
            Map<String, String> q = new LinkedHashMap<>();
            q.put("reason", reason);
            JsonNode r = hub.post("/api/v1/rollouts/" + id + "/" + action, q, null);
            spec.commandLine().getOut().printf("%s of rollout %d accepted (audit #%d); the hub carries it out at its "
                    + "next tick%n", action, id, r.path("command").asLong());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
