package io.geminik8s.cli.mosquitto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A line of a Mosquitto 2.0 password file, as {@code mosquitto_passwd} writes it:
 * {@code user:$7$<iterations>$<salt>$<hash>} with PBKDF2-HMAC-SHA512, a 12-byte random salt and a 64-byte hash, both Base64.
 */
public final class MosquittoPassword {

    static final int ITERATIONS = 101;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MosquittoPassword() {
    }

    public static String line(String user, String password) {
        if (user.contains(":") || user.isBlank()) {
            throw new IllegalArgumentException("a Mosquitto user name cannot be blank or contain ':'");
        }
        byte[] salt = new byte[12];
        RANDOM.nextBytes(salt);
        try {
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, 512)).getEncoded();
            Base64.Encoder b64 = Base64.getEncoder();
            return user + ":$7$" + ITERATIONS + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA512 is missing from this JVM", e);
        }
    }

    /** A new random secret for the hub (256 bits, URL-safe Base64). */
    public static String newSecret() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }
}
