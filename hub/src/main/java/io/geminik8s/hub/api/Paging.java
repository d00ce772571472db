package io.geminik8s.hub.api;

/** Query parameters parsed by hand so that bad values get a 400 problem, not JAX-RS' 404. */
public final class Paging {

    private Paging() {
    }

    public static int intParam(String name, String value, int dflt, int min, int max) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw ApiProblem.badRequest(name + " must be between " + min + " and " + max + ", got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest(name + " must be a whole number, got '" + value + "'");
        }
    }
}
