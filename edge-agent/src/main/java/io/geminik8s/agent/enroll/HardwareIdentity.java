package io.geminik8s.agent.enroll;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * This node's hardware identity, sent with enrollment and renewal where the node has one (docs/security.md#hardware-
 * identity): by default the DMI product UUID ({@value #DMI}, readable by root only on real machines), from
 * {@code enroll.hardware-id-file}. Never {@code /etc/machine-id}: that names the OS installation, not the machine.
 * The value is normalised (surrounding whitespace and trailing NULs dropped, lower case) and must then be 1 to
 * {@value #MAX_CHARS} characters of a-z, 0-9, '.', '_', ':' and '-' (the hub checks the same).
 */
final class HardwareIdentity {

    static final String DMI = "/sys/class/dmi/id/product_uuid";
    static final int MAX_CHARS = 128;
    /** Read at most this much: a sysfs attribute is at most a page. */
    static final int MAX_BYTES = 4096;
    private static final Pattern FORM = Pattern.compile("[0-9a-z][0-9a-z._:-]*");
    /** What firmware reports when it has no UUID (SMBIOS: all 0x00 "not settable", all 0xFF "not present"). */
    private static final Pattern PLACEHOLDER = Pattern.compile("[0-]+|[f-]+");
    private static final Logger LOG = Logger.getLogger(HardwareIdentity.class.getName());

    private HardwareIdentity() {
    }

    /**
     * The identity in {@code file}, or empty where there is none: no such file, an empty or blank one, a firmware
     * placeholder. An unreadable, oversized or malformed file is a problem when the file was {@code configured}, and
     * only a warning (no identity) for the default DMI file, which non-root agents and some boards cannot give.
     */
    static Optional<String> read(Path file, boolean configured, List<String> problems) {
        String raw;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                return refuse(file, configured, problems, "larger than " + MAX_BYTES + " bytes");
            }
            for (byte b : bytes) {
                if (b < 0) {
                    return refuse(file, configured, problems, "not ASCII");
                }
            }
            raw = new String(bytes, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return refuse(file, configured, problems, "cannot read it (" + e.getMessage() + ")");
        }
        String value = raw.replaceAll("\\x00+$", "").strip().toLowerCase(Locale.ROOT);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.length() > MAX_CHARS) {
            return refuse(file, configured, problems, "more than " + MAX_CHARS + " characters");
        }
        if (!FORM.matcher(value).matches()) {
            return refuse(file, configured, problems, "not a hardware identity (a-z, 0-9, '.', '_', ':', '-')");
        }
        if (PLACEHOLDER.matcher(value).matches()) {
            LOG.warning(file + " holds a firmware placeholder, not an identity: none is sent");
            return Optional.empty();
        }
        return Optional.of(value);
    }

    private static Optional<String> refuse(Path file, boolean configured, List<String> problems, String why) {
        if (configured) {
            problems.add("enroll.hardware-id-file: " + file + ": " + why);
        } else {
            LOG.warning(file + ": " + why + "; no hardware identity is sent");
        }
        return Optional.empty();
    }
}
