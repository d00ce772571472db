package io.geminik8s.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.protocol.Artifact;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gk8s artifact keygen|sign}: what a release engineer signs is what an agent accepts, and nothing else. */
class ArtifactCommandTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Gk8s.run(Map.of(), new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void aSignedFileIsWhatTheAgentsKeyAccepts() throws Exception {
        Path priv = dir.resolve("fleet-signing.key");
        Path pub = dir.resolve("fleet-signing.pub");
        assertEquals(0, run("artifact", "keygen", "--private", priv.toString(), "--public", pub.toString()).code());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));
        Result again = run("artifact", "keygen", "--private", priv.toString(), "--public", pub.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("exists; a signing key is never overwritten"), again.err());

        Path file = Files.writeString(dir.resolve("k3s"), "a K3s binary, in spirit");
        Result signed = run("artifact", "sign", "--key", priv.toString(), "--name", "k3s", "--artifact-version", "v1.31.5+k3s1",
                "--url", "https://hub.example/artifacts/k3s", "-o", "json", file.toString());
        assertEquals(0, signed.code(), signed.err());
        Artifact a = new ObjectMapper().readValue(signed.out(), Artifact.class);
        assertEquals(Files.size(file), a.size());
        assertTrue(a.signedBy(Artifact.publicKey(Files.readString(pub))), "the agents' key accepts it");
        assertTrue(run("artifact", "sign", "--key", priv.toString(), "--name", "k3s", "--artifact-version", "v1.31.5+k3s1",
                "--url", "https://hub.example/artifacts/k3s", file.toString()).out().startsWith("- name: k3s\n"));

        Result bad = run("artifact", "sign", "--key", priv.toString(), "--name", "k3s", "--artifact-version", "../v1",
                "--url", "https://hub.example/k3s", file.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--artifact-version: letters, digits"), bad.err());
    }
}
