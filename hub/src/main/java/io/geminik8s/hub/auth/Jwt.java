package io.geminik8s.hub.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Whether a bearer token is shaped like a JWT (JWS compact form); says nothing about whether it is valid. */
final class Jwt {

    private Jwt() {
    }

    /**
     * Three dot-separated parts (the last may be empty, as in {@code alg=none}, which quarkus-oidc then refuses)
     * whose first decodes as base64url to a JSON object. API tokens have no dots.
     */
    static boolean shaped(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
            return false;
        }
        try {
            String header = new String(Base64.getUrlDecoder().decode(token.substring(0, first)), StandardCharsets.UTF_8);
            return header.stripLeading().startsWith("{");
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }
}
