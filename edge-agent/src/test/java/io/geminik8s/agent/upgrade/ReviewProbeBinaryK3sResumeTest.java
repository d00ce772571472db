package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.geminik8s.agent.k3s.K3sDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probe (review14): a resumed install overwrites {@code <binary>.gk8s-previous} with the new binary when the
 * new binary does not report its version (a signed build for the wrong architecture, a --version that hangs past
 * 10 s on a loaded box...). Failed on the reviewed code, passes since the fix: the rollback then puts the new binary back, the old one is
 * gone, and docs/upgrades.md's "copy .gk8s-previous over k3s.binary (it is the version before the upgrade)" restores
 * the wrong binary too.
 */
class ReviewProbeBinaryK3sResumeTest {

    private static final String OLD = "v1.30.9+k3s1";
    private static final String NEW = "v1.31.5+k3s1";

    @TempDir
    Path dir;

    private static void script(Path p, String body) throws Exception {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aResumedInstallKeepsTheVersionBeforeTheUpgradeToRollBackTo() throws Exception {
        Path binary = dir.resolve("k3s");
        script(binary, "[ \"$1\" = --version ] && echo 'k3s version " + OLD + " (abc)'; exit 0");
        Path artifact = dir.resolve("artifact");
        script(artifact, "exit 1 # reports no version (e.g. exec format error)");
        BinaryK3s k3s = new BinaryK3s(binary, "true", new NoService());
        // 1st attempt: the new binary is renamed into place, then its version check fails. The coordinator would
        // save rolling-back next; a crash (power, OOM kill) before that save leaves upgrade.json at "installing".
        assertThrows(IllegalStateException.class, () -> k3s.install(artifact, NEW));
        // the restarted agent: UpgradePlan says INSTALL (interrupted install), and the install runs again
        assertThrows(IllegalStateException.class, () -> k3s.install(artifact, NEW));
        // ... fails again, so the coordinator rolls back
        k3s.rollback();
        assertEquals(OLD, k3s.running(), "the rollback did not restore the version before the upgrade;"
                + " .gk8s-previous reports " + new BinaryK3s(dir.resolve("k3s.gk8s-previous"), "true", null).running());
    }

    private static final class NoService implements K3sDriver {
        @Override
        public void stop() {
        }

        @Override
        public void start() {
        }

        @Override
        public void restart() {
        }

        @Override
        public void restartIfWanted() {
        }

        @Override
        public void bumpKineIdSequence() {
        }

        @Override
        public String rotateCertificates() {
            return null;
        }
    }
}
