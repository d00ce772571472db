package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The signed statement of an artifact: what is signed, what a signature binds, what a reference may look like. */
class ArtifactTest {

    private static final String SHA = "ab".repeat(32);

    private static KeyPair keys() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    @Test
    void aSignatureBindsNameVersionDigestAndSize() throws Exception {
        KeyPair fleet = keys();
        Artifact a = new Artifact("k3s", "v1.31.5+k3s1", "https://hub/artifacts/k3s", SHA, 70_000_000L, null)
                .signedWith(fleet.getPrivate());
        assertEquals(Optional.empty(), a.problem());
        assertTrue(a.signedBy(fleet.getPublic()));
        assertFalse(a.signedBy(keys().getPublic()), "another key");
        assertFalse(new Artifact("k3s", "v1.31.4+k3s1", a.url(), SHA, a.size(), a.signature()).signedBy(fleet.getPublic()),
                "the same signature for another version");
        assertFalse(new Artifact("agent", a.version(), a.url(), SHA, a.size(), a.signature()).signedBy(fleet.getPublic()),
                "for another artifact");
        assertFalse(new Artifact("k3s", a.version(), a.url(), "cd".repeat(32), a.size(), a.signature())
                .signedBy(fleet.getPublic()), "for other bytes");
        assertFalse(new Artifact("k3s", a.version(), a.url(), SHA, a.size() + 1, a.signature()).signedBy(fleet.getPublic()),
                "for another size");
        assertTrue(new Artifact("k3s", a.version(), "http://mirror.example/k3s", SHA, a.size(), a.signature())
                .signedBy(fleet.getPublic()), "the URL is not signed: any mirror may serve the same bytes");
        assertFalse(new Artifact("k3s", a.version(), a.url(), SHA, a.size(), "not base64!").signedBy(fleet.getPublic()));
    }

    @Test
    void theStatementIsFixed() {
        assertEquals("gk8s-artifact/v1\nk3s\nv1.31.5+k3s1\n" + SHA + "\n42\n",
                new String(new Artifact("k3s", "v1.31.5+k3s1", "https://x", SHA, 42L, null).statement(),
                        StandardCharsets.UTF_8));
    }

    @Test
    void aMalformedReferenceNamesItsField() {
        String sig = java.util.Base64.getEncoder().encodeToString(new byte[64]);
        assertEquals("name", new Artifact("K3S", "v1", "https://x", SHA, 1L, sig).problem().orElseThrow().split(":")[0]);
        assertEquals("version", new Artifact("k3s", "v1\n", "https://x", SHA, 1L, sig).problem().orElseThrow().split(":")[0]);
        assertEquals("url", new Artifact("k3s", "v1", "file:///etc/shadow", SHA, 1L, sig).problem().orElseThrow()
                .split(":")[0]);
        assertEquals("sha256", new Artifact("k3s", "v1", "https://x", "AB".repeat(32), 1L, sig).problem().orElseThrow()
                .split(":")[0]);
        assertEquals("size", new Artifact("k3s", "v1", "https://x", SHA, Artifact.MAX_SIZE + 1, sig).problem()
                .orElseThrow().split(":")[0]);
        assertEquals("signature", new Artifact("k3s", "v1", "https://x", SHA, 1L, "AAAA").problem().orElseThrow()
                .split(":")[0]);
    }
}
