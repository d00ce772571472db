package io.geminik8s.hub.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The fleet CA on disk. A root is made once, offline ({@code init-root}); it signs an intermediate
 * ({@code init-intermediate}) whose folder — {@code root.pem}, {@code intermediate.pem}, {@code intermediate.key}
 * (PKCS#8 encrypted with the passphrase) — is all the hub needs. Private keys are never written unencrypted; key
 * and passphrase files are 0600. Usage (the offline machine, then copy the intermediate's folder to the hub):
 * <pre>
 *   java -cp hub.jar:lib/* io.geminik8s.hub.pki.CaFiles init-root ROOT_DIR ROOT_PASSPHRASE_FILE
 *   java -cp ... io.geminik8s.hub.pki.CaFiles init-intermediate ROOT_DIR ROOT_PASSPHRASE_FILE HUB_PKI_DIR PASSPHRASE_FILE
 * </pre>
 */
public final class CaFiles {

    static final String ROOT_CERT = "root.pem";
    static final String ROOT_KEY = "root.key";
    static final String CERT = "intermediate.pem";
    static final String KEY = "intermediate.key";
    static final String PASSPHRASE = "ca.passphrase";
    static final Duration ROOT_LIFETIME = Duration.ofDays(3650);
    static final Duration INTERMEDIATE_LIFETIME = Duration.ofDays(730);
    /** The hub's client certificate ({@code issue-hub}): its chain and its key. */
    public static final String HUB_CERT = "hub.pem";
    public static final String HUB_KEY = "hub.key";
    static final Duration HUB_LIFETIME = Duration.ofDays(365);

    private CaFiles() {
    }

    public static void main(String... args) {
        if (args.length == 3 && args[0].equals("init-root")) {
            initRoot(Path.of(args[1]), passphrase(Path.of(args[2]), true));
        } else if (args.length == 5 && args[0].equals("init-intermediate")) {
            initIntermediate(Path.of(args[1]), passphrase(Path.of(args[2]), false), Path.of(args[3]),
                    passphrase(Path.of(args[4]), true));
        } else if ((args.length == 4 || args.length == 5) && args[0].equals("issue-hub")) {
            Path out = Path.of(args[3]);
            FleetCa.Issued hub = issueHub(open(Path.of(args[1]), Path.of(args[2]), false), out,
                    Duration.ofDays(args.length == 5 ? Long.parseLong(args[4]) : HUB_LIFETIME.toDays()));
            System.out.println("wrote " + out.resolve(HUB_CERT) + " (" + FleetCa.HUB_SUBJECT + ", serial "
                    + hub.serialHex() + ", until " + hub.certificate().getNotAfter().toInstant() + ") and "
                    + out.resolve(HUB_KEY) + " (0600)");
        } else {
            System.err.println("usage: init-root ROOT_DIR ROOT_PASSPHRASE_FILE"
                    + " | init-intermediate ROOT_DIR ROOT_PASSPHRASE_FILE PKI_DIR PASSPHRASE_FILE"
                    + " | issue-hub PKI_DIR PASSPHRASE_FILE OUT_DIR [DAYS]");
            System.exit(2);
        }
    }

    /** A self-signed root: {@code root.pem} and its encrypted key {@code root.key}. Refuses to overwrite. */
    public static X509Certificate initRoot(Path dir, char[] passphrase) {
        refuseExisting(dir.resolve(ROOT_KEY));
        KeyPair keys = CertBuilder.p256();
        X509Certificate root = CertBuilder.build(CertBuilder.Kind.ROOT, "CN=gk8s fleet root", keys.getPublic(), null,
                keys.getPrivate(), ROOT_LIFETIME, List.of());
        Pem.writePrivate(dir.resolve(ROOT_KEY), Pem.encryptedKey(keys.getPrivate(), passphrase));
        Pem.writePrivate(dir.resolve(ROOT_CERT), Pem.certificates(List.of(root)));
        return root;
    }

    /** An intermediate signed by the root in {@code rootDir}, written to {@code dir} for the hub. */
    public static void initIntermediate(Path rootDir, char[] rootPassphrase, Path dir, char[] passphrase) {
        refuseExisting(dir.resolve(KEY));
        try {
            X509Certificate root = Pem.readCertificates(Files.readString(rootDir.resolve(ROOT_CERT))).get(0);
            PrivateKey rootKey = Pem.decryptKey(Files.readString(rootDir.resolve(ROOT_KEY)), rootPassphrase);
            KeyPair keys = CertBuilder.p256();
            X509Certificate cert = CertBuilder.build(CertBuilder.Kind.INTERMEDIATE, "CN=gk8s fleet intermediate",
                    keys.getPublic(), root, rootKey, INTERMEDIATE_LIFETIME, List.of());
            Pem.writePrivate(dir.resolve(KEY), Pem.encryptedKey(keys.getPrivate(), passphrase));
            Pem.writePrivate(dir.resolve(CERT), Pem.certificates(List.of(cert)));
            if (!rootDir.toAbsolutePath().equals(dir.toAbsolutePath())) {
                Pem.writePrivate(dir.resolve(ROOT_CERT), Pem.certificates(List.of(root)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the root's key: " + e.getMessage(), e);
        }
    }

    /**
     * The hub's client certificate for an external broker that knows the hub by mTLS: a new P-256 key made here,
     * {@code hub.key} (unencrypted PKCS#8, 0600, folder 0700) and {@code hub.pem} (the certificate, then the
     * intermediate), valid for {@code lifetime} but never beyond the intermediate. Replaces an earlier pair.
     */
    public static FleetCa.Issued issueHub(FleetCa ca, Path out, Duration lifetime) {
        KeyPair keys = CertBuilder.p256();
        Duration left = Duration.between(java.time.Instant.now(), ca.intermediate().getNotAfter().toInstant());
        FleetCa.Issued hub = ca.issueHub(keys.getPublic(), lifetime.compareTo(left) < 0 ? lifetime : left);
        Pem.writePrivate(out.resolve(HUB_KEY), Pem.privateKey(keys.getPrivate()));
        Pem.writePrivate(out.resolve(HUB_CERT), Pem.certificates(hub.chain()));
        return hub;
    }

    /**
     * The hub's CA from {@code dir}. With {@code generate} and an empty folder (the zero-install demo, tests) it first
     * makes a passphrase file, a root and an intermediate there — the root's key then sits next to the intermediate,
     * encrypted; move it offline (docs/security.md#keys).
     */
    public static FleetCa open(Path dir, Path passphraseFile, boolean generate) {
        if (generate && !Files.exists(dir.resolve(KEY))) {
            if (!Files.exists(passphraseFile)) {
                Pem.writePrivate(passphraseFile, FleetCa.randomSecret() + "\n");
            }
            char[] pass = passphrase(passphraseFile, false);
            initRoot(dir, pass);
            initIntermediate(dir, pass, dir, pass);
        }
        char[] pass = passphrase(passphraseFile, false);
        try {
            X509Certificate root = Pem.readCertificates(Files.readString(dir.resolve(ROOT_CERT))).get(0);
            X509Certificate cert = Pem.readCertificates(Files.readString(dir.resolve(CERT))).get(0);
            PrivateKey key = Pem.decryptKey(Files.readString(dir.resolve(KEY)), pass);
            cert.verify(root.getPublicKey());
            cert.checkValidity();
            if (cert.getBasicConstraints() < 0) {
                throw new IllegalStateException(dir.resolve(CERT) + " is not a CA certificate");
            }
            return new FleetCa(root, cert, key);
        } catch (IOException e) {
            throw new IllegalStateException("no fleet CA in " + dir + " (" + e.getMessage() + "): make one with CaFiles"
                    + " init-root/init-intermediate, or set gk8s.pki.generate=true for a demo", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the fleet CA in " + dir + " is unusable: " + e.getMessage(), e);
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    private static void refuseExisting(Path key) {
        if (Files.exists(key)) {
            throw new IllegalStateException(key + " exists; refusing to overwrite a CA key");
        }
    }

    /** The first line of a passphrase file, which must be readable by its owner only. */
    static char[] passphrase(Path file, boolean createIfMissing) {
        try {
            if (createIfMissing && !Files.exists(file)) {
                Pem.writePrivate(file, FleetCa.randomSecret() + "\n");
            }
            var perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IllegalStateException(file + " must be readable by its owner only (chmod 600)");
            }
            String line = Files.readAllLines(file).stream().findFirst().orElse("").strip();
            if (line.length() < 16) {
                throw new IllegalStateException(file + ": the passphrase must have at least 16 characters");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("passphrase file " + file, e);
        }
    }
}
