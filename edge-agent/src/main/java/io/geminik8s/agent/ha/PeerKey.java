package io.geminik8s.agent.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The site's peer-link key: the HMAC-SHA256 key both agents of a pair share (from {@code ha.peer-key-file} until
 * enrollment hands it out). The file's trimmed text is the key, e.g. 64 hex digits from {@code openssl rand -hex 32}.
 */
public record PeerKey(byte[] bytes) {

    /** At least 256 bits of a hex string's worth: shorter keys are refused. */
    public static final int MIN_LENGTH = 32;

    public PeerKey {
        if (bytes.length < MIN_LENGTH) {
            throw new IllegalArgumentException("the peer key must be at least " + MIN_LENGTH + " characters, got "
                    + bytes.length);
        }
        bytes = bytes.clone();
    }

    public static PeerKey load(Path file) throws IOException {
        return new PeerKey(Files.readString(file, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerKey k && java.security.MessageDigest.isEqual(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "PeerKey[" + bytes.length + " bytes]"; // never the key itself, e.g. in a config dump
    }
}
