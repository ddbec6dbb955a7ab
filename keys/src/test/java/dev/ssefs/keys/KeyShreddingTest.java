package dev.ssefs.keys;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Destroyed key material must leave keys.db (MapDB never zeroes freed space, so a rewrite drops superseded sealed
 * copies) without waiting for a call to touch the key, and the rewrite must survive a crash at any point.
 */
@DisplayName("Shredding destroyed key material from keys.db")
class KeyShreddingTest {
    @TempDir Path dir;
    final TestClock clock = new TestClock();

    EmbeddedKms open(EmbeddedKms.Options options) {
        return EmbeddedKms.open(dir, RootSecret.fromPassphrase(KmsFixture.PASSPHRASE), clock, options);
    }

    /** 32 bytes of the key's sealed record as keys.db holds it (read while the KMS is open: no lock needed). */
    byte[] probe(String keyId) {
        try (DB ro = DBMaker.fileDB(dir.resolve("keys.db").toFile()).readOnly().make()) {
            byte[] sealed = ro.hashMap("ssefs.records", Serializer.STRING, Serializer.BYTE_ARRAY).open().get("cmk/" + keyId);
            assertNotNull(sealed);
            return Arrays.copyOfRange(sealed, 20, 52);
        }
    }

    boolean inKeysDb(byte[] probe) throws Exception {
        return KeyStoreTest.contains(Files.readAllBytes(dir.resolve("keys.db")), probe);
    }

    @Test
    @DisplayName("a key whose deletion window passed while the KMS was closed is destroyed and shredded on open, untouched")
    void sweptOnOpen() throws Exception {
        String id;
        byte[] probe;
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            id = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
            probe = probe(id);
            kms.as("root").scheduleKeyDeletion(id, 7);
        }
        assertTrue(inKeysDb(probe), "positive control");
        clock.advance(Duration.ofDays(7).plusSeconds(1));
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            assertFalse(inKeysDb(probe), "gone right after open, before any call");
            assertThrows(KmsException.class, () -> kms.as("root").describeKey(id));
        }
    }

    @Test
    @DisplayName("a deletion window that passes while the KMS is open is applied and shredded by the periodic sweep")
    void sweptPeriodically() throws Exception {
        try (EmbeddedKms kms = open(KmsFixture.FAST.withSweepInterval(Duration.ofMillis(20)))) {
            String id = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
            String other = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
            byte[] probe = probe(id);
            kms.as("root").scheduleKeyDeletion(id, 7);
            clock.advance(Duration.ofDays(8));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (inKeysDb(probe) && System.nanoTime() < deadline) Thread.sleep(20);
            assertFalse(inKeysDb(probe), "shredded without any call touching the key");
            assertEquals("Enabled", kms.as("root").describeKey(other).keyState());
        }
    }

    @Test
    @DisplayName("a crash after the destruction was committed but before the rewrite: the next open shreds")
    void interruptedRewriteRedoneOnOpen() throws Exception {
        byte[] probe;
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            String id = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
            probe = probe(id);
            // what purge commits, without the rewrite that follows it (as if killed in between)
            kms.store().write(Map.of(), List.of("cmk/" + id), true);
            assertTrue(kms.store().shredPending());
        }
        assertTrue(inKeysDb(probe), "positive control: the deleted record lingers in free space");
        // a leftover staging dir of a rewrite cut short by a crash
        Path stale = Files.createDirectory(dir.resolve(".keys.db.rewrite-0123456789ab"));
        Files.write(stale.resolve("keys.db"), new byte[]{1, 2, 3});
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            assertFalse(inKeysDb(probe));
            assertFalse(kms.store().shredPending());
            assertFalse(Files.exists(stale));
        }
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            assertFalse(kms.store().shredPending(), "the rewrite dropped the mark");
        }
    }

    @Test
    @DisplayName("a rewrite leaves only keys.db (0600) behind: no staging dir, no journal")
    void rewriteLeavesNothing() throws Exception {
        String after;
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            String id = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
            kms.as("root").scheduleKeyDeletion(id, 7);
            clock.advance(Duration.ofDays(8));
            assertThrows(KmsException.class, () -> kms.as("root").describeKey(id));
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of("keys.db"), s.map(p -> p.getFileName().toString()).toList());
            }
            KeyStoreTest.assertAllKeysDbFilesPrivate(dir);
            after = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
        }
        try (EmbeddedKms kms = open(KmsFixture.FAST)) {
            assertEquals("Enabled", kms.as("root").describeKey(after).keyState(), "the rewritten store takes writes");
        }
    }
}
