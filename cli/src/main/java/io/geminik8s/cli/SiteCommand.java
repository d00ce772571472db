package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code gk8s site claim SITE}, {@code gk8s site approve SITE NODE}, {@code gk8s site revoke SERIAL} and
 * {@code gk8s site clear-hardware SITE NODE} (admin; docs/security.md#enrollment).
 */
@Command(name = "site", description = "Trust: claim a site for zero-touch enrollment, approve a waiting node, revoke a"
        + " node's certificate, clear a node's hardware identity.", subcommands = {SiteCommand.Claim.class,
                SiteCommand.Approve.class, SiteCommand.Revoke.class, SiteCommand.ClearHardware.class})
final class SiteCommand {

    @ParentCommand
    Gk8s root;

    @Command(name = "claim", description = "A one-time claim token that enrolls the site's two nodes (shown once).")
    static final class Claim implements Callable<Integer> {
        @ParentCommand
        SiteCommand site;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "site id")
        String id;
        @picocli.CommandLine.Option(names = "--vip", description = "the site's VIP, e.g. 10.0.0.10/24 (with --node)")
        String vip;
        @picocli.CommandLine.Option(names = "--node", description = "a node and its address on the site LAN, e.g."
                + " a=10.0.0.1; twice, with --vip: each node then gets its peer, the VIP and the site's peer-link key")
        Map<String, String> nodes;
        @picocli.CommandLine.Option(names = "--approval", description = "each node enrolls only once an admin"
                + " approved it (gk8s site approve SITE NODE)")
        boolean approval;
        @picocli.CommandLine.Option(names = "--hardware", description = "pin a node's hardware identity, e.g."
                + " a=4c4c4544-0051-3510-8052-b7c04f4e3732 (its DMI product UUID: dmidecode -s system-uuid); the node"
                + " then enrolls and renews only from that hardware")
        Map<String, String> hardware;

        @Override
        public Integer call() {
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            if (hardware != null) {
                body.put("hardware", hardware);
            }
            if (vip != null || nodes != null) {
                body.put("vip", vip == null ? "" : vip);
                body.put("nodes", nodes == null ? Map.of() : nodes);
            }
            if (approval) {
                body.put("approval", true);
            }
            JsonNode claim = site.root.client().post("/api/v1/sites/" + id + "/claims", Map.of(),
                    body.isEmpty() ? null : body);
            if (site.root.output == Output.Format.table) { // the line to print on a label or encode as a QR code
                spec.commandLine().getOut().println(claim.path("printable").asText());
                spec.commandLine().getErr().println("claim for site " + id + ": enrolls its two nodes once each until "
                        + claim.path("expiresAt").asText() + "; the hub keeps only its hash, it is not shown again");
                spec.commandLine().getErr().flush();
            } else {
                Output.print(spec.commandLine().getOut(), site.root.output, claim, List.of());
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "approve", description = "Let a node that waits under a claim made with --approval enroll.")
    static final class Approve implements Callable<Integer> {
        @ParentCommand
        SiteCommand site;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "site id")
        String id;
        @Parameters(index = "1", description = "node id")
        String node;

        @Override
        public Integer call() {
            JsonNode r = site.root.client().post("/api/v1/enrollments/requests/" + id + "/" + node + "/approve",
                    Map.of(), null);
            Output.print(spec.commandLine().getOut(), site.root.output, r, List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("NODE", "/node"), new Output.Column("APPROVED BY", "/approvedBy")));
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a node's certificate by serial (gk8s get enrollments): the broker"
            + " refuses it and drops its connection.")
    static final class Revoke implements Callable<Integer> {
        @ParentCommand
        SiteCommand site;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "certificate serial (hex)")
        String serial;

        @Override
        public Integer call() {
            JsonNode r = site.root.client().post("/api/v1/enrollments/" + serial + "/revoke", Map.of(), null);
            Output.print(spec.commandLine().getOut(), site.root.output, r, List.of(new Output.Column("SERIAL", "/serial"),
                    new Output.Column("SITE", "/site"), new Output.Column("NODE", "/node"),
                    new Output.Column("REVOKED", "/revokedAt")));
            return 0;
        }
    }

    @Command(name = "clear-hardware", description = "Forget a node's pinned or first recorded hardware identity (new"
            + " hardware): its next enrollment or renewal records the one it presents.")
    static final class ClearHardware implements Callable<Integer> {
        @ParentCommand
        SiteCommand site;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "site id")
        String id;
        @Parameters(index = "1", description = "node id")
        String node;

        @Override
        public Integer call() {
            JsonNode r = site.root.client().delete("/api/v1/enrollments/hardware/" + id + "/" + node, Map.of());
            Output.print(spec.commandLine().getOut(), site.root.output, r, List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("NODE", "/node"), new Output.Column("CLEARED", "/cleared")));
            return 0;
        }
    }
}
