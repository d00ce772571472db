package io.geminik8s.hub.pki;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Bouncy Castle's JCA provider, used by name-free instance where the JDK lacks an algorithm (PKCS#8 encryption's
 * AES/CBC/PKCS7Padding, CSR verification); never installed process-wide.
 */
final class Bc {

    static final Provider PROVIDER = new BouncyCastleProvider();

    private Bc() {
    }
}
