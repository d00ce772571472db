package io.geminik8s.embedded;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a client connecting to the embedded broker is (a pure decision, no I/O): the hub — it alone knows the secret
 * this process made — or exactly one node of one site, named by its client certificate's subject
 * {@code CN=<site>/<node>} or, where certificates are not required (the loopback demo), by its user name
 * {@code <site>/<node>}; its client id must be {@code gk8s-<site>-<node>}. Everyone else is refused at CONNECT.
 * What each may do is in {@link ConnectionLimit} (HiveMQ default permissions).
 */
final class BrokerAccess {

    static final String HUB_USER = "gk8s-hub";
    private static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern CN = Pattern.compile("(?:^|,)\\s*CN=([^,]+)");

    /** The outcome: the hub, a node, or a refusal with its reason. */
    record Decision(boolean hub, String site, String node, String refused) {
        static Decision refuse(String why) {
            return new Decision(false, null, null, why);
        }
    }

    private final byte[] hubSecret;
    private final boolean requireCertificates;

    BrokerAccess(String hubSecret, boolean requireCertificates) {
        this.hubSecret = hubSecret.getBytes(StandardCharsets.UTF_8);
        this.requireCertificates = requireCertificates;
    }

    Decision decide(String clientId, Optional<String> user, Optional<ByteBuffer> password,
                    Optional<X509Certificate> certificate) {
        if (user.isPresent() && user.get().equals(HUB_USER)) {
            byte[] given = password.map(BrokerAccess::bytes).orElse(new byte[0]);
            if (!MessageDigest.isEqual(given, hubSecret)) {
                return Decision.refuse("wrong credentials for " + HUB_USER);
            }
            return clientId.startsWith("gk8s-hub-") ? new Decision(true, null, null, null)
                    : Decision.refuse("the hub's client ids start with gk8s-hub-");
        }
        if (clientId.startsWith("gk8s-hub-")) {
            return Decision.refuse("client ids gk8s-hub-* are the hub's");
        }
        Optional<String> fromCert = certificate.flatMap(BrokerAccess::commonName);
        if (certificate.isPresent() && fromCert.isEmpty()) {
            return Decision.refuse("the client certificate names no CN=<site>/<node>");
        }
        if (fromCert.isEmpty() && requireCertificates) {
            return Decision.refuse("a client certificate is required");
        }
        if (fromCert.isPresent() && user.isPresent() && !user.get().equals(fromCert.get())) {
            return Decision.refuse("user name " + user.get() + " is not the certificate's " + fromCert.get());
        }
        String identity = fromCert.orElse(user.orElse(""));
        int slash = identity.indexOf('/');
        if (slash < 0) {
            return Decision.refuse("no node identity (user name or certificate CN <site>/<node>)");
        }
        String site = identity.substring(0, slash);
        String node = identity.substring(slash + 1);
        if (!ID.matcher(site).matches() || !ID.matcher(node).matches()) {
            return Decision.refuse("'" + identity + "' is not <site>/<node>");
        }
        if (!clientId.equals("gk8s-" + site + "-" + node)) {
            return Decision.refuse("client id " + clientId + " is not gk8s-" + site + "-" + node);
        }
        return new Decision(false, site, node, null);
    }

    private static Optional<String> commonName(X509Certificate c) {
        Matcher m = CN.matcher(c.getSubjectX500Principal().getName());
        return m.find() ? Optional.of(m.group(1).trim()) : Optional.empty();
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer copy = b.asReadOnlyBuffer();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
