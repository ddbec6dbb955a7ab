package dev.ssefs.fuse;

import java.io.IOException;

/** Stored data that does not match its index (short object, failed authentication): EIO, logged with the object. */
final class IntegrityException extends IOException {
    IntegrityException(String key, String message) {
        super(key + ": " + message);
    }
}
