package dev.ssefs.keys;

/**
 * The key store itself cannot be used: wrong passphrase or root key, a corrupted or foreign {@code keys.db},
 * a bad root key file. Whenever this is thrown while opening, nothing on disk has been changed.
 */
public class KeyStoreException extends RuntimeException {
    public KeyStoreException(String message) {
        super(message);
    }

    public KeyStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
