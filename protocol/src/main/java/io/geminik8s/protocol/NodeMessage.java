package io.geminik8s.protocol;

/** A message that concerns one node of a site. */
public interface NodeMessage {
    String node();
}
