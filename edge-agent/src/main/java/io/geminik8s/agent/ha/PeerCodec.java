package io.geminik8s.agent.ha;

import io.geminik8s.protocol.Codec;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The peer link's datagrams: the packet as JSON followed by an HMAC-SHA256 of those bytes under the site's
 * {@link PeerKey}. Opening checks the tag (in constant time) before anything of the payload is looked at.
 */
final class PeerCodec {

    static final int TAG_BYTES = 32;
    /** Fields a newer agent adds are ignored (a pair runs two agent versions during the agent's own upgrade). */
    private static final Codec JSON = new Codec();

    /** Why a datagram was dropped before it reached the supervisor. */
    enum Drop { BAD_MAC, MALFORMED, FOREIGN, REPLAYED }

    /** A datagram that did not open. */
    static final class Rejected extends Exception {
        final Drop reason;

        Rejected(Drop reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    private final SecretKeySpec key;

    PeerCodec(PeerKey key) {
        this.key = new SecretKeySpec(key.bytes(), "HmacSHA256");
    }

    byte[] seal(PeerLink.Packet p) {
        byte[] payload = JSON.bytesOf(p);
        byte[] out = Arrays.copyOf(payload, payload.length + TAG_BYTES);
        System.arraycopy(tag(payload, payload.length), 0, out, payload.length, TAG_BYTES);
        return out;
    }

    PeerLink.Packet open(byte[] datagram, int length) throws Rejected {
        if (length <= TAG_BYTES) {
            throw new Rejected(Drop.BAD_MAC, "no room for a tag (" + length + " bytes)");
        }
        int payload = length - TAG_BYTES;
        byte[] expected = tag(datagram, payload);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(datagram, payload, length))) {
            throw new Rejected(Drop.BAD_MAC, "tag does not match");
        }
        try {
            return JSON.read(Arrays.copyOf(datagram, payload), PeerLink.Packet.class);
        } catch (IOException e) {
            throw new Rejected(Drop.MALFORMED, e.getMessage());
        }
    }

    private byte[] tag(byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
