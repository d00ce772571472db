package io.geminik8s.agent.k3s;

/** The Kubernetes side of a node: K3s server with Kine on the local PostgreSQL. */
public interface K3sDriver {

    void stop();

    void start();

    /** After a promotion both K3s servers restart, so that Kine reconnects to the new primary cleanly. */
    void restart();

    /**
     * After a forced (lossy) promotion: move Kine's id sequence far ahead, so revisions never go back
     * (etcd-io/etcd#16028, kubernetes/kubernetes#118501).
     */
    void bumpKineIdSequence();
}
