package dev.ssefs.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The secret that unseals {@code keys.db}: a passphrase (stretched with Argon2id, salt and parameters stored in the
 * store) or a raw 32-byte root key file. Holds copies; {@link #destroy()} zeroes them.
 */
public final class RootSecret {
    public static final int ROOT_KEY_BYTES = 32;
    private static final Set<PosixFilePermission> OWNER_RW =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private final char[] passphrase;
    private final byte[] rawKey;
    private final String description;

    private RootSecret(char[] passphrase, byte[] rawKey, String description) {
        this.passphrase = passphrase;
        this.rawKey = rawKey;
        this.description = description;
    }

    /** The caller may zero its array afterwards; this object keeps its own copy. */
    public static RootSecret fromPassphrase(char[] passphrase) {
        if (passphrase == null || passphrase.length == 0) {
            throw new KeyStoreException("the passphrase is empty");
        }
        return new RootSecret(passphrase.clone(), null, "passphrase");
    }

    /** The file must hold exactly 32 bytes and have mode 0600. */
    public static RootSecret fromKeyFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new KeyStoreException("root key file " + file + " does not exist or is not a regular file");
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (!perms.equals(OWNER_RW)) {
                throw new KeyStoreException("root key file " + file + " must have mode 0600 but has mode "
                        + PosixFilePermissions.toString(perms) + "; run: chmod 600 " + file);
            }
            long size = Files.size(file);
            if (size != ROOT_KEY_BYTES) {
                throw new KeyStoreException("root key file " + file + " must hold exactly " + ROOT_KEY_BYTES
                        + " bytes but holds " + size);
            }
            byte[] key = Files.readAllBytes(file);
            if (key.length != ROOT_KEY_BYTES) {
                Arrays.fill(key, (byte) 0);
                throw new KeyStoreException("root key file " + file + " changed while being read");
            }
            return new RootSecret(null, key, "root key file " + file);
        } catch (UnsupportedOperationException e) {
            throw new KeyStoreException("cannot check the mode of root key file " + file
                    + ": the file system has no POSIX permissions", e);
        } catch (IOException e) {
            throw new KeyStoreException("cannot read root key file " + file + ": " + e.getMessage(), e);
        }
    }

    boolean isPassphrase() {
        return passphrase != null;
    }

    /** A copy of the passphrase (only when {@link #isPassphrase()}). */
    char[] passphrase() {
        return passphrase.clone();
    }

    /** A copy of the raw key (only when not {@link #isPassphrase()}). */
    byte[] rawKey() {
        return rawKey.clone();
    }

    String description() {
        return description;
    }

    /** Zeroes the secret held by this object. */
    public void destroy() {
        if (passphrase != null) Arrays.fill(passphrase, '\0');
        if (rawKey != null) Arrays.fill(rawKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "RootSecret[" + description + "]";
    }
}
