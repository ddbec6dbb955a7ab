package dev.ssefs.keys;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.ArrayList;
import java.util.List;

/**
 * The persisted state of one CMK (sealed as a whole in keys.db). Mutable only while being built or copied
 * under the registry's write lock; a published record is never modified again.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
final class KeyRecord {
    public String keyId;
    public String keySpec;
    public String origin;
    public String description;
    public String creator;
    public String state;
    public long creationMs;
    /** When a PendingDeletion key is destroyed; 0 otherwise. */
    public long deleteDateMs;
    /** EXTERNAL keys: when imported material expires; 0 = never. */
    public long materialExpireMs;
    public boolean automaticRotation;
    public long rotationIntervalSeconds;
    public long lastRotationMs;
    /** A service-managed key (the default OSS CMK): not listed, not user-manageable. */
    public boolean service;
    public String primaryVersionId;
    public List<VersionRecord> versions = new ArrayList<>();
    /** SHA-256 of the first imported material: only the same material may be imported again. */
    public byte[] importedMaterialDigest;
    public List<ImportSession> imports = new ArrayList<>();

    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class VersionRecord {
        public String versionId;
        public long creationMs;
        /** Null for an EXTERNAL key whose material is not (or no longer) imported. */
        public byte[] material;

        VersionRecord() {}

        VersionRecord(String versionId, long creationMs, byte[] material) {
            this.versionId = versionId;
            this.creationMs = creationMs;
            this.material = material;
        }

        VersionRecord copy() {
            return new VersionRecord(versionId, creationMs, material);
        }
    }

    /** One GetParametersForImport answer: its RSA private key lives sealed in keys.db until it expires. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class ImportSession {
        public byte[] token;
        public String wrappingAlgorithm;
        public byte[] privateKeyPkcs8;
        public long expiresMs;
    }

    boolean isExternal() {
        return "EXTERNAL".equals(origin);
    }

    boolean hasMaterial() {
        return !versions.isEmpty() && versions.get(versions.size() - 1).material != null;
    }

    KeyRecord copy() {
        KeyRecord r = new KeyRecord();
        r.keyId = keyId;
        r.keySpec = keySpec;
        r.origin = origin;
        r.description = description;
        r.creator = creator;
        r.state = state;
        r.creationMs = creationMs;
        r.deleteDateMs = deleteDateMs;
        r.materialExpireMs = materialExpireMs;
        r.automaticRotation = automaticRotation;
        r.rotationIntervalSeconds = rotationIntervalSeconds;
        r.lastRotationMs = lastRotationMs;
        r.service = service;
        r.primaryVersionId = primaryVersionId;
        r.versions = new ArrayList<>();
        for (VersionRecord v : versions) r.versions.add(v.copy());
        r.importedMaterialDigest = importedMaterialDigest;
        r.imports = new ArrayList<>(imports);
        return r;
    }
}
