package dev.ssefs.keys;

import dev.ssefs.keys.crypto.AesGcmWrapping;
import dev.ssefs.keys.crypto.CiphertextBlob;
import dev.ssefs.keys.crypto.EncryptionContextCodec;
import dev.ssefs.keys.crypto.Sm4GcmWrapping;
import dev.ssefs.keys.crypto.WrappingAlgorithm;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * An immutable in-memory snapshot of a CMK with its unsealed version keys, published in a concurrent map so that
 * GenerateDataKey, Encrypt and Decrypt read it without any lock.
 */
final class LiveKey {
    final KeyRecord record;
    final UUID keyRef;
    final WrappingAlgorithm algorithm;
    /** Null when the key has no usable material (PendingImport). */
    final WrappingAlgorithm.MasterKey primary;
    final UUID primaryRef;
    final Map<UUID, WrappingAlgorithm.MasterKey> versions;
    /** The earliest instant at which lazy maintenance (deletion, material expiry, rotation) is due. */
    final long nextEventMs;
    final Kms.KeyMetadata metadata;

    LiveKey(KeyRecord record, String region, String accountId) {
        this.record = record;
        this.keyRef = UUID.fromString(record.keyId);
        this.algorithm = KeyStates.SPEC_SM4.equals(record.keySpec) ? Sm4GcmWrapping.INSTANCE : AesGcmWrapping.INSTANCE;
        Map<UUID, WrappingAlgorithm.MasterKey> vs = new HashMap<>();
        WrappingAlgorithm.MasterKey p = null;
        for (KeyRecord.VersionRecord v : record.versions) {
            if (v.material == null) continue;
            WrappingAlgorithm.MasterKey mk = algorithm.key(v.material);
            vs.put(UUID.fromString(v.versionId), mk);
            if (v.versionId.equals(record.primaryVersionId)) p = mk;
        }
        this.versions = Map.copyOf(vs);
        this.primary = p;
        this.primaryRef = record.primaryVersionId == null ? null : UUID.fromString(record.primaryVersionId);
        long next = Long.MAX_VALUE;
        if (KeyStates.PENDING_DELETION.equals(record.state)) next = Math.min(next, record.deleteDateMs);
        if (record.materialExpireMs > 0 && record.hasMaterial()) next = Math.min(next, record.materialExpireMs);
        if (rotates(record)) next = Math.min(next, record.lastRotationMs + record.rotationIntervalSeconds * 1000L);
        this.nextEventMs = next;
        this.metadata = KeyMetadataView.of(record, region, accountId);
    }

    static boolean rotates(KeyRecord r) {
        return KeyStates.ENABLED.equals(r.state) && r.automaticRotation && !r.isExternal()
                && r.rotationIntervalSeconds > 0;
    }

    /** Wraps {@code plaintext} under the primary version; the key must be Enabled (checked by the caller). */
    byte[] wrap(byte[] plaintext, Map<String, String> context) {
        byte[] blob = CiphertextBlob.newBuffer(CiphertextBlob.KIND_CMK, keyRef, primaryRef, algorithm.id(),
                plaintext.length);
        byte[] aad = EncryptionContextCodec.aad(blob, CiphertextBlob.HEADER_BYTES, context);
        primary.wrap(plaintext, aad, blob, CiphertextBlob.HEADER_BYTES);
        return blob;
    }

    void destroy() {
        for (WrappingAlgorithm.MasterKey k : versions.values()) k.destroy();
    }
}
