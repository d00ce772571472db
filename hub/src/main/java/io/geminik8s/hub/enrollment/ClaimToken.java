package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.Sha256;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/** Claim tokens: 256 random bits, URL-safe, shown once; the hub keeps only their SHA-256. */
final class ClaimToken {

    static final String PREFIX = "gk8s-claim-";
    private static final Pattern SHAPE = Pattern.compile(Pattern.quote(PREFIX) + "[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ClaimToken() {
    }

    static String generate() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** A token of the right shape, or null (nothing else is looked up). */
    static String hashOf(String token) {
        return token != null && SHAPE.matcher(token).matches() ? Sha256.hex(token) : null;
    }
}
