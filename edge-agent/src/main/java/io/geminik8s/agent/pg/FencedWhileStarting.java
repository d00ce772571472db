package io.geminik8s.agent.pg;

/**
 * PostgreSQL's start was ended by a fence (the lease guard's, at the lease's end): nothing of it runs. Not a failure
 * of the server — the supervisor's state machine, which the fence told, decides what comes next.
 */
public final class FencedWhileStarting extends IllegalStateException {

    public FencedWhileStarting(String message, Throwable cause) {
        super(message, cause);
    }
}
