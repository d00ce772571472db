package io.geminik8s.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code gk8s pki crl --out FILE}: the fleet intermediate's CRL for an external broker; {@code gk8s pki revoke}: revoke
 * any certificate of the fleet intermediate by serial, the hub's own client certificates included (docs/security.md).
 */
@Command(name = "pki", description = "The fleet PKI: its CRL for an external broker, revoking a certificate.",
        subcommands = {PkiCommand.Crl.class, PkiRevoke.class})
final class PkiCommand {

    @ParentCommand
    Gk8s root;

    @Command(name = "crl", description = "Fetch the fleet intermediate's CRL (PEM) into a file, for Mosquitto's crlfile;"
            + " run it from a timer well within the CRL's one day of validity, then reload or restart the broker.")
    static final class Crl implements Callable<Integer> {
        @ParentCommand
        PkiCommand pki;
        @Spec
        CommandSpec spec;
        @Option(names = "--out", required = true, description = "File to write (replaced atomically, mode 0644; left"
                + " as it was when the hub's answer is not a valid CRL)")
        Path out;
        @Option(names = "--ca", description = "PEM file with the fleet's intermediate (and root): the CRL must be signed"
                + " by the certificate in it that issued it, else nothing is written")
        Path ca;

        @Override
        public Integer call() throws IOException {
            String pem = pki.root.client().getText("/api/v1/pki/crl", "application/x-pem-file");
            X509CRL crl = parse(pem);
            if (ca != null) {
                CrlCheck.signedBy(crl, ca);
            }
            CrlCheck.notOlderThan(crl, out);
            Path file = out.toAbsolutePath();
            Path tmp = Files.createTempFile(file.getParent(), ".gk8s-crl", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            int n = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
            spec.commandLine().getOut().printf("wrote %s: %d revoked certificate%s, issued by %s, next update %s%n",
                    out, n, n == 1 ? "" : "s", crl.getIssuerX500Principal().getName(),
                    crl.getNextUpdate().toInstant());
            spec.commandLine().getOut().flush();
            return 0;
        }

        private static X509CRL parse(String pem) {
            if (!pem.startsWith("-----BEGIN X509 CRL-----")) {
                throw new HubClient.Failure("the hub's answer is not a PEM CRL; nothing was written");
            }
            try {
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                        .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
                if (crl.getNextUpdate() == null || !crl.getNextUpdate().after(new java.util.Date())) {
                    // a broker holding it would refuse every client
                    throw new HubClient.Failure("the hub's CRL is out of date (next update " + crl.getNextUpdate()
                            + "; is the hub's clock right?); nothing was written");
                }
                return crl;
            } catch (GeneralSecurityException e) {
                throw new HubClient.Failure("the hub's CRL is unreadable (" + e.getMessage() + "); nothing was written");
            }
        }
    }
}
