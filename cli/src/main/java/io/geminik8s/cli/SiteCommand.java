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

/** {@code gk8s site claim SITE} and {@code gk8s site revoke SERIAL} (admin; docs/security.md#enrollment). */
@Command(name = "site", description = "Trust: claim a site for zero-touch enrollment, revoke a node's certificate.",
        subcommands = {SiteCommand.Claim.class, SiteCommand.Revoke.class})
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

        @Override
        public Integer call() {
            JsonNode claim = site.root.client().post("/api/v1/sites/" + id + "/claims", Map.of(), null);
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
}
