package io.geminik8s.hub.auth;

import java.util.List;
import java.util.Set;

/**
 * The API's roles, each including the ones before it: a viewer reads; an operator also changes the fleet (overrides,
 * templates, rollouts); an admin also runs trust (enrollment, certificates) as those endpoints arrive.
 */
public final class Roles {

    public static final String VIEWER = "viewer";
    public static final String OPERATOR = "operator";
    public static final String ADMIN = "admin";
    static final List<String> ORDER = List.of(VIEWER, OPERATOR, ADMIN);

    private Roles() {
    }

    /** The role and every role it includes; empty for an unknown role. */
    static Set<String> implied(String role) {
        int i = ORDER.indexOf(role);
        return i < 0 ? Set.of() : Set.copyOf(ORDER.subList(0, i + 1));
    }
}
