package io.geminik8s.agent.ha;

import java.nio.file.Path;

/** Test access to the agent's side of {@link ForcePromoteRequest} (package-private in production). */
public final class ForcePromoteRequestAccess {

    private ForcePromoteRequestAccess() {
    }

    public static ForcePromoteRequest takeAndAnswer(Path stateDir, boolean granted, String message) {
        ForcePromoteRequest r = ForcePromoteRequest.take(stateDir).orElseThrow();
        r.answer(stateDir, granted, message);
        return r;
    }
}
