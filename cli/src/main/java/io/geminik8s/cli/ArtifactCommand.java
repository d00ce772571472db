package io.geminik8s.cli;

import io.geminik8s.protocol.Artifact;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gk8s artifact keygen|sign}: the release engineers' side of signed artifacts (docs/upgrades.md) — the fleet
 * signing key, and a template's {@code spec.artifacts} entry for a file, signed offline. No hub is involved.
 */
@Command(name = "artifact", description = "Sign what nodes install: make the fleet signing key (Ed25519), sign a file"
        + " as a template's artifact. Offline: no hub is asked.", subcommands = {ArtifactCommand.Keygen.class,
        ArtifactCommand.Sign.class})
final class ArtifactCommand {

    @picocli.CommandLine.ParentCommand
    Gk8s root;

    @Command(name = "keygen", description = "Make the fleet signing key: --private (PKCS#8 PEM, mode 0600; keep it"
            + " offline) and --public (every agent's artifacts.signing-key-file). Never overwrites a key.")
    static final class Keygen implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--private", required = true, description = "file for the private key (must not exist)")
        Path privateKey;
        @Option(names = "--public", required = true, description = "file for the public key")
        Path publicKey;

        @Override
        public Integer call() throws IOException, GeneralSecurityException {
            if (Files.exists(privateKey)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--private: " + privateKey
                        + " exists; a signing key is never overwritten");
            }
            KeyPair k = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Files.createFile(privateKey, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(privateKey, pem("PRIVATE KEY", k.getPrivate().getEncoded()));
            Files.writeString(publicKey, pem("PUBLIC KEY", k.getPublic().getEncoded()));
            spec.commandLine().getOut().println("private key " + privateKey + " (0600, keep offline), public key "
                    + publicKey + " (artifacts.signing-key-file on every node)");
            return 0;
        }
    }

    @Command(name = "sign", description = "Sign FILE as artifact --name at --artifact-version, to be fetched from --url: prints"
            + " the template's spec.artifacts entry (YAML; -o json for JSON). The signature covers name, version,"
            + " SHA-256 and size, not the URL: any mirror may serve the same bytes.")
    static final class Sign implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--key", required = true, description = "the fleet signing key (private, PEM)")
        Path key;
        @Option(names = "--name", required = true, description = "the artifact's name, e.g. k3s or agent")
        String name;
        @Option(names = "--artifact-version", required = true, description = "its version, e.g. v1.31.5+k3s1 (for k3s and"
                + " agent: the template's spec.versions one)")
        String version;
        @Option(names = "--url", required = true, description = "where nodes fetch it (http or https)")
        String url;
        @picocli.CommandLine.ParentCommand
        ArtifactCommand artifact;
        @Parameters(index = "0", description = "the file")
        Path file;

        @Override
        public Integer call() throws IOException, GeneralSecurityException {
            Artifact a = new Artifact(name, version, url, Artifact.sha256Of(file), Files.size(file),
                    Base64.getEncoder().encodeToString(new byte[64]));
            a.problem().ifPresent(p -> {
                String field = p.substring(0, p.indexOf(':'));
                String what = switch (field) {
                    case "version" -> "--artifact-version";
                    case "size", "sha256" -> "FILE";
                    default -> "--" + field;
                };
                throw new CommandLine.ParameterException(spec.commandLine(), what + p.substring(field.length()));
            });
            a = a.signedWith(Artifact.privateKey(Files.readString(key)));
            spec.commandLine().getOut().print(artifact.root.output == Output.Format.json ? new com.fasterxml.jackson.databind.ObjectMapper()
                    .writeValueAsString(a) + "\n" : "- name: " + a.name() + "\n  version: \"" + a.version() + "\"\n  url: "
                    + a.url() + "\n  sha256: " + a.sha256() + "\n  size: " + a.size() + "\n  signature: "
                    + a.signature() + "\n");
            return 0;
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
