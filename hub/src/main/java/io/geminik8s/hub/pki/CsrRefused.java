package io.geminik8s.hub.pki;

/** A certificate signing request the fleet CA will not sign; the message says why (safe to show the caller). */
public final class CsrRefused extends Exception {

    public CsrRefused(String why) {
        super(why);
    }
}
