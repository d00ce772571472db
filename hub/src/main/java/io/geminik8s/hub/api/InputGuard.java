package io.geminik8s.hub.api;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every path and query parameter of the API, before any resource sees it: no control characters (a NUL reached
 * PostgreSQL and answered 500) and no more than {@value #MAX_LENGTH} characters; refused with 400 naming the field.
 */
public class InputGuard {

    static final int MAX_LENGTH = 256;

    @ServerRequestFilter
    public void check(UriInfo uri) {
        check("path parameter", uri.getPathParameters());
        check("query parameter", uri.getQueryParameters());
    }

    private static void check(String kind, MultivaluedMap<String, String> params) {
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            String name = e.getKey();
            if (bad(name)) {
                throw ApiProblem.badRequest("a " + kind + " name has control characters or is over " + MAX_LENGTH
                        + " characters");
            }
            for (String v : e.getValue()) {
                if (v != null && bad(v)) {
                    throw ApiProblem.badRequest(kind + " '" + name + "' must be at most " + MAX_LENGTH
                            + " characters without control characters");
                }
            }
        }
    }

    private static boolean bad(String s) {
        if (s.length() > MAX_LENGTH) {
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
