package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code gk8s pki revoke --serial HEX --reason TEXT [--certificate FILE]} (admin; POST /api/v1/pki/revocations). */
@Command(name = "revoke", description = "Revoke a certificate of the fleet intermediate by serial: a node's, or a hub"
        + " client certificate once the hub runs with a newer one (never the one it uses). Listed in the CRL, refused by"
        + " the embedded broker and its connection dropped.")
final class PkiRevoke implements Callable<Integer> {
    @ParentCommand
    PkiCommand pki;
    @Spec
    CommandSpec spec;
    @Option(names = "--serial", required = true, description = "the certificate's serial in hex (gk8s get enrollments,"
            + " openssl x509 -noout -serial; colons allowed)")
    String serial;
    @Option(names = "--reason", required = true, description = "why, kept with the revocation (e.g. 'superseded',"
            + " 'key compromise')")
    String reason;
    @Option(names = "--certificate", description = "PEM file with the certificate itself, for one the hub has no"
            + " record of (neither a node's nor a hub certificate a hub ran with)")
    Path certificate;

    @Override
    public Integer call() throws IOException {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("serial", serial);
        body.put("reason", reason);
        if (certificate != null) {
            body.put("certificate", Files.readString(certificate));
        }
        JsonNode r = pki.root.client().post("/api/v1/pki/revocations", Map.of(), body);
        Output.print(spec.commandLine().getOut(), pki.root.output, r, List.of(new Output.Column("SERIAL", "/serial"),
                new Output.Column("SUBJECT", "/subject"), new Output.Column("REASON", "/reason"),
                new Output.Column("REVOKED", "/revokedAt")));
        return 0;
    }
}
