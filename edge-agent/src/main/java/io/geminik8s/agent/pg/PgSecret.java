package io.geminik8s.agent.pg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The site's database secret ({@code pg.secret-file}, handed out by enrollment): both nodes of a pair share it and
 * derive from it one SCRAM password per PostgreSQL role, HMAC-SHA256(secret, role) in hex: the roles' passwords
 * differ, and none of them is the secret.
 */
public final class PgSecret {

    /** At least 32 characters; enrollment hands out 64 hex digits (256 bits), as {@code openssl rand -hex 32} makes. */
    public static final int MIN_LENGTH = 32;
    public static final String SUPERUSER = "postgres";

    private final byte[] key;

    public PgSecret(String text) {
        byte[] k = text.strip().getBytes(StandardCharsets.UTF_8);
        if (k.length < MIN_LENGTH) {
            throw new IllegalArgumentException("the database secret must be at least " + MIN_LENGTH
                    + " characters, got " + k.length);
        }
        this.key = k;
    }

    public static PgSecret load(Path file) throws IOException {
        return new PgSecret(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** The password of {@code role}: 64 hex digits, the same on both nodes. */
    public String password(String role) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(role.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this runtime", e);
        }
    }

    @Override
    public String toString() {
        return "PgSecret[***]"; // never the secret, e.g. in a config dump
    }
}
