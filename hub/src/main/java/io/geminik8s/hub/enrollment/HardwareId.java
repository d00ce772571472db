package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A node's hardware identity as the hub keeps it (docs/security.md#hardware-identity): typically the DMI product
 * UUID; 1 to {@value #MAX_CHARS} characters of ASCII letters, digits, '.', '_', ':' and '-', kept in lower case.
 * It is what the node says about itself: an anti-cloning and mis-provisioning check, not attestation.
 */
public record HardwareId(String value) {

    public static final int MAX_CHARS = 128;
    private static final Pattern FORM = Pattern.compile("[0-9a-z][0-9a-z._:-]*");

    public HardwareId {
        if (value == null || value.length() > MAX_CHARS || !FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("not a normalised hardware identity");
        }
    }

    /**
     * {@code raw} normalised (lower case), or null when {@code raw} is null; otherwise 400 naming {@code field}:
     * empty, longer than {@value #MAX_CHARS} characters, or any other character (NUL, control, space, non-ASCII).
     */
    static HardwareId parse(String raw, String field) {
        if (raw == null) {
            return null;
        }
        if (raw.isEmpty() || raw.length() > MAX_CHARS) {
            throw ApiProblem.badRequest(field + ": 1 to " + MAX_CHARS + " characters");
        }
        String lower = raw.toLowerCase(Locale.ROOT);
        if (!raw.chars().allMatch(c -> c < 128) || !FORM.matcher(lower).matches()) {
            throw ApiProblem.badRequest(field + ": ASCII letters, digits, '.', '_', ':' and '-' only, starting with a"
                    + " letter or digit (e.g. a DMI product UUID)");
        }
        return new HardwareId(lower);
    }

    /** The value or null, for JSON and SQL. */
    /**
     * What a caller may see of a recorded identity: admins the value, others a fingerprint ({@code sha256:} and 12
     * hex digits) that tells boards apart without handing a would-be cloner the value to present.
     */
    static String shown(String value, jakarta.ws.rs.core.SecurityContext caller) {
        if (value == null || caller.isUserInRole(io.geminik8s.hub.auth.Roles.ADMIN)) {
            return value;
        }
        return "sha256:" + io.geminik8s.hub.Sha256.hex(value).substring(0, 12);
    }

    static String of(HardwareId id) {
        return id == null ? null : id.value();
    }
}
