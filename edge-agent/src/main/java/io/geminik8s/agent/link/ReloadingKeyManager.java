package io.geminik8s.agent.link;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.logging.Logger;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * The node's PEM key and certificate, read again whenever either file changed: a renewed certificate
 * (edge-agent/enroll/) is presented from the next TLS handshake, that is the next (re)connect, without a restart.
 * A pair that does not load (mid-swap) leaves the previous one in use.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {

    interface Loader {
        KeyStore load() throws Exception;
    }

    private static final Logger LOG = Logger.getLogger(ReloadingKeyManager.class.getName());
    /** The client session caches of the TLS contexts this process made ({@link TlsFactory#context}). */
    private static final Set<SSLSessionContext> CONTEXTS =
            Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private final Path cert;
    private final Path key;
    private final Loader loader;
    private FileTime[] seen = new FileTime[2];
    private X509KeyManager current;

    ReloadingKeyManager(Path cert, Path key, Loader loader) throws GeneralSecurityException {
        this.cert = cert;
        this.key = key;
        this.loader = loader;
        if (!reload()) {
            throw new GeneralSecurityException("cannot load " + cert + " and " + key);
        }
    }

    /** A session cache whose sessions {@link #forgetSessions()} invalidates. */
    static void remember(SSLSessionContext context) {
        CONTEXTS.add(context);
    }

    private synchronized X509KeyManager manager() {
        reload();
        return current;
    }

    private synchronized boolean reload() {
        try {
            FileTime[] now = {Files.getLastModifiedTime(cert), Files.getLastModifiedTime(key)};
            if (current != null && now[0].equals(seen[0]) && now[1].equals(seen[1])) {
                return true;
            }
            KeyStore ks = loader.load();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            X509KeyManager next = (X509KeyManager) kmf.getKeyManagers()[0];
            if (current != null) {
                LOG.info("client certificate reloaded from " + cert);
            }
            current = next;
            seen = now;
            return true;
        } catch (Exception e) {
            if (current != null) {
                LOG.warning("keeping the previous client certificate: " + e.getMessage());
            }
            return false;
        }
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return manager().getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return manager().chooseClientAlias(keyType, issuers, socket);
    }

    /**
     * Forgets every cached TLS session, so that the next connection makes a full handshake and presents the
     * current certificate: a resumed TLS 1.3 session carries the identity of the certificate it began with (after a
     * renewal the broker would still see the old, maybe revoked, one).
     */
    static void forgetSessions() {
        List<SSLSessionContext> contexts;
        synchronized (CONTEXTS) {
            contexts = new ArrayList<>(CONTEXTS);
        }
        for (SSLSessionContext c : contexts) {
            for (byte[] id : Collections.list(c.getIds())) {
                var session = c.getSession(id);
                if (session != null) {
                    session.invalidate();
                }
            }
        }
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        X509KeyManager m = manager();
        return m instanceof X509ExtendedKeyManager x ? x.chooseEngineClientAlias(keyType, issuers, engine)
                : m.chooseClientAlias(keyType, issuers, null);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return manager().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return manager().getPrivateKey(alias);
    }
}
