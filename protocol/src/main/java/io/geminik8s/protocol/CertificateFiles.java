package io.geminik8s.protocol;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The certificate files a site's template hands its nodes ({@code spec.certificates.files}, docs/upgrades.md):
 * public X.509 certificates (a registry's CA, a new fleet CA during a CA rotation) that K3s and the node's services
 * read at start. One validator for the hub's template rules and the agent that installs them:
 *
 * <pre>
 * certificates:
 *   files:
 *     - name: registry-ca        # the file &lt;certificates.dir&gt;/registry-ca.pem on the node
 *       pem: |                   # one or more certificates, none expired; no private key
 *         -----BEGIN CERTIFICATE-----
 * </pre>
 */
public final class CertificateFiles {

    public static final int MAX_FILES = 32;
    public static final int MAX_PEM_CHARS = 64 * 1024;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Set<String> FIELDS = Set.of("name", "pem");

    private CertificateFiles() {
    }

    /**
     * The files, name → PEM text (its line ends made {@code \n}), from the {@code files} list (null: none); or an
     * {@link IllegalArgumentException} naming every problem, each as {@code certificates.files[i].field: message}.
     */
    public static Map<String, String> parse(Object files, Instant now) {
        Map<String, String> out = new TreeMap<>();
        if (files == null) {
            return out;
        }
        List<String> problems = new ArrayList<>();
        if (!(files instanceof Collection<?> list)) {
            throw new IllegalArgumentException("certificates.files: must be a list of {name, pem}");
        }
        if (list.size() > MAX_FILES) {
            problems.add("certificates.files: at most " + MAX_FILES + " files, got " + list.size());
        }
        Set<String> names = new HashSet<>();
        int i = 0;
        for (Object o : list) {
            String at = "certificates.files[" + i++ + "]";
            if (!(o instanceof Map<?, ?> m)) {
                problems.add(at + ": must be a map {name, pem}");
                continue;
            }
            for (Object k : m.keySet()) {
                if (!FIELDS.contains(String.valueOf(k))) {
                    problems.add(at + "." + k + ": unknown field (known: name, pem)");
                }
            }
            String name = m.get("name") instanceof String s ? s : null;
            if (name == null || !NAME.matcher(name).matches()) {
                problems.add(at + ".name: lowercase letters, digits and '-', at most 63, got " + shown(m.get("name")));
            } else if (!names.add(name)) {
                problems.add(at + ".name: '" + name + "' is named twice");
            }
            String pem = m.get("pem") instanceof String s ? s.replace("\r\n", "\n") : null;
            String why = pem == null ? "required: PEM text" : problem(pem, now);
            if (why != null) {
                problems.add(at + ".pem: " + why);
            } else if (name != null) {
                out.put(name, pem.endsWith("\n") ? pem : pem + "\n");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return out;
    }

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=\n]+)-----END CERTIFICATE-----\n?");

    /**
     * Why {@code pem} is not one or more valid public certificates, or null. Read block by block: nothing but
     * certificates and the line ends between them (no comment, no other block), each block exactly one X.509
     * certificate (not a PKCS#7 bundle), valid now (not expired, not yet to come).
     */
    static String problem(String pem, Instant now) {
        if (pem.length() > MAX_PEM_CHARS) {
            return "at most " + MAX_PEM_CHARS + " characters, got " + pem.length();
        }
        if (pem.contains("PRIVATE KEY")) {
            return "holds a private key: only certificates go in a template (keys never leave their node)";
        }
        if (pem.chars().anyMatch(c -> c == 0 || (c < 0x20 && c != '\n' && c != '\t') || c > 0x7e)) {
            return "PEM is ASCII text: found a control or non-ASCII character";
        }
        String body = pem.strip() + "\n";
        var m = BLOCK.matcher(body);
        int at = 0;
        int blocks = 0;
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            while (at < body.length()) {
                while (at < body.length() && body.charAt(at) == '\n') {
                    at++;
                }
                if (at == body.length()) {
                    break;
                }
                if (!m.find(at) || m.start() != at) {
                    return "PEM certificates only (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----),"
                            + " nothing between them";
                }
                byte[] der = java.util.Base64.getMimeDecoder().decode(m.group(1));
                X509Certificate x = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der));
                if (!java.util.Arrays.equals(x.getEncoded(), der)) {
                    return "block " + (blocks + 1) + " is not one X.509 certificate (a bundle, or bytes after it)";
                }
                if (x.getNotAfter().toInstant().isBefore(now)) {
                    return "the certificate " + x.getSubjectX500Principal().getName() + " expired "
                            + x.getNotAfter().toInstant();
                }
                if (x.getNotBefore().toInstant().isAfter(now)) {
                    return "the certificate " + x.getSubjectX500Principal().getName() + " is not valid before "
                            + x.getNotBefore().toInstant();
                }
                blocks++;
                at = m.end();
            }
            return blocks == 0 ? "no certificate" : null;
        } catch (CertificateException | IllegalArgumentException | ClassCastException e) {
            return "not a readable X.509 certificate: " + e.getMessage();
        }
    }

    private static String shown(Object o) {
        String s = String.valueOf(o);
        return "'" + (s.length() > 64 ? s.substring(0, 64) + "…" : s).replaceAll("[\\p{Cntrl};]", "?") + "'";
    }
}
