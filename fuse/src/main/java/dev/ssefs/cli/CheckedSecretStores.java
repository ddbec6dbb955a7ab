package dev.ssefs.cli;

import dev.ssefs.keys.KeyManagement;
import dev.ssefs.keys.RootSecret;
import dev.ssefs.objectcore.ObjectStore;
import java.nio.file.Path;

/**
 * The stores a daemon already holds open, handed to a forwarded command only after the command's own root secret
 * (its passphrase file, {@code SSEFS_PASSPHRASE} or root key file) passed the key store's verifier: a command
 * forwarded to a running daemon is refused a wrong passphrase exactly as one that opens the stores itself.
 * Checked once, on the first use of a store, so commands that need no store (help, umount) need no secret.
 */
final class CheckedSecretStores implements StoreProvider {
    private final StoreProvider open;
    private final GlobalOptions options;
    private final java.util.Map<String, String> env;
    private boolean checked;

    CheckedSecretStores(StoreProvider open, GlobalOptions options, java.util.Map<String, String> env) {
        this.open = open;
        this.options = options;
        this.env = env;
    }

    private synchronized void check() {
        if (checked) {
            return;
        }
        RootSecret secret = RootSecretSource.resolve(options, env);
        try {
            open.keys().checkRootSecret(secret);
        } finally {
            secret.destroy();
        }
        checked = true;
    }

    @Override
    public KeyManagement keys() {
        check();
        return open.keys();
    }

    @Override
    public ObjectStore objects() {
        check();
        return open.objects();
    }

    @Override
    public Path dataDir() {
        return open.dataDir();
    }
}
