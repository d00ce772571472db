package io.geminik8s.agent.k3s;

/** The Kubernetes side of a node: K3s server with Kine on the local PostgreSQL. */
public interface K3sDriver {

    /** Kine's revisions come from the id sequence of its table; a jump this large cannot collide with lost ones. */
    String BUMP_KINE_IDS = "SELECT setval('kine_id_seq', (SELECT coalesce(max(id), 0) FROM kine) + 1000000)";

    void stop();

    void start();

    /** After a promotion both K3s servers restart, so that Kine reconnects to the new primary cleanly. */
    void restart();

    /** After its binary was replaced (an upgrade): restarted if HA wants it running, else left stopped. */
    void restartIfWanted();

    /**
     * After a forced (lossy) promotion: move Kine's id sequence far ahead, so revisions never go back
     * (etcd-io/etcd#16028, kubernetes/kubernetes#118501).
     */
    void bumpKineIdSequence();

    /**
     * K3s re-issues its own certificates from its CA ({@code k3s certificate rotate}, which must run while K3s is
     * stopped): a K3s that should be running is stopped, rotated and started again; one that is stopped (a fenced
     * node) stays stopped and takes them at its next start. A stop or start asked by HA meanwhile wins. Says what
     * was done; throws when the rotation fails (K3s is then started again if it should run).
     */
    String rotateCertificates();
}
