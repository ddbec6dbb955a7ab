package dev.ssefs.keys;

import dev.ssefs.keys.crypto.CiphertextBlob;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The KMS as one principal sees it: every call checks {@code kms:<Action>} on its resource, then delegates. */
final class KmsView implements Kms {
    private final String principal;
    private final KeyRegistry registry;
    private final RamPolicies policies;
    private final EmbeddedKms owner;

    KmsView(String principal, KeyRegistry registry, RamPolicies policies, EmbeddedKms owner) {
        this.principal = principal;
        this.registry = registry;
        this.policies = policies;
        this.owner = owner;
    }

    @Override
    public String principal() {
        return principal;
    }

    private void authorize(String action, String resource) {
        owner.ensureOpen();
        if (!policies.isAllowed(principal, action, resource)) throw KmsErrors.accessDenied();
    }

    /** Resolves an id or alias and checks {@code action} on the key's ARN (the key need not exist yet). */
    private String authorizeKey(String action, String keyIdOrAlias) {
        owner.ensureOpen();
        String keyId = registry.resolveKeyId(keyIdOrAlias);
        authorize(action, registry.keyArn(keyId));
        return keyId;
    }

    private String keysResource() {
        return "acs:kms:" + registry.region() + ":" + registry.accountId() + ":key";
    }

    private String aliasesResource() {
        return "acs:kms:" + registry.region() + ":" + registry.accountId() + ":alias";
    }

    private String aliasArn(String alias) {
        return KeyMetadataView.aliasArn(registry.region(), registry.accountId(), alias);
    }

    @Override
    public KeyMetadata createKey(CreateKeyRequest request) {
        authorize("kms:CreateKey", keysResource());
        return registry.createKey(request == null ? CreateKeyRequest.defaults() : request, false,
                registry.accountId()).metadata;
    }

    @Override
    public KeyMetadata describeKey(String keyId) {
        return registry.existing(authorizeKey("kms:DescribeKey", keyId)).metadata;
    }

    @Override
    public KeyPage listKeys(int pageNumber, int pageSize) {
        if (pageNumber < 1) throw KmsErrors.invalidParameter("PageNumber must be 1 or more, not " + pageNumber + ".");
        if (pageSize < 1 || pageSize > 100) {
            throw KmsErrors.invalidParameter("PageSize must be between 1 and 100, not " + pageSize + ".");
        }
        authorize("kms:ListKeys", keysResource());
        List<LiveKey> all = registry.customerKeys();
        List<KeyMetadata> page = new ArrayList<>();
        long from = (long) (pageNumber - 1) * pageSize;
        for (long i = from; i < Math.min(all.size(), from + pageSize); i++) page.add(all.get((int) i).metadata);
        return new KeyPage(List.copyOf(page), pageNumber, pageSize, all.size());
    }

    @Override
    public KeyMetadata enableKey(String keyId) {
        return registry.enableKey(authorizeKey("kms:EnableKey", keyId)).metadata;
    }

    @Override
    public KeyMetadata disableKey(String keyId) {
        return registry.disableKey(authorizeKey("kms:DisableKey", keyId)).metadata;
    }

    @Override
    public KeyMetadata scheduleKeyDeletion(String keyId, int pendingWindowInDays) {
        return registry.scheduleKeyDeletion(authorizeKey("kms:ScheduleKeyDeletion", keyId), pendingWindowInDays)
                .metadata;
    }

    @Override
    public KeyMetadata cancelKeyDeletion(String keyId) {
        return registry.cancelKeyDeletion(authorizeKey("kms:CancelKeyDeletion", keyId)).metadata;
    }

    @Override
    public KeyVersion createKeyVersion(String keyId) {
        String id = authorizeKey("kms:CreateKeyVersion", keyId);
        KeyRecord.VersionRecord v = registry.createKeyVersion(id);
        return new KeyVersion(id, v.versionId, KeyMetadataView.iso(v.creationMs));
    }

    @Override
    public List<KeyVersion> listKeyVersions(String keyId) {
        String id = authorizeKey("kms:ListKeyVersions", keyId);
        LiveKey k = registry.existing(id);
        List<KeyVersion> out = new ArrayList<>();
        for (KeyRecord.VersionRecord v : k.record.versions) {
            out.add(new KeyVersion(id, v.versionId, KeyMetadataView.iso(v.creationMs)));
        }
        return List.copyOf(out);
    }

    @Override
    public void createAlias(String aliasName, String keyId) {
        KeyRegistry.validateAliasName(aliasName);
        authorize("kms:CreateAlias", aliasArn(aliasName));
        String id = authorizeKey("kms:CreateAlias", keyId);
        registry.createAlias(aliasName, id);
    }

    @Override
    public void deleteAlias(String aliasName) {
        if (aliasName == null || !aliasName.startsWith(KeyRegistry.ALIAS_PREFIX)) {
            throw KmsErrors.invalidParameter("AliasName must start with alias/.");
        }
        authorize("kms:DeleteAlias", aliasArn(aliasName));
        KeyRegistry.AliasRecord a = registry.alias(aliasName);
        if (aliasName.equals(KeyRegistry.DEFAULT_OSS_ALIAS)) {
            throw KmsErrors.unsupported("The alias " + aliasName + " belongs to a service key and cannot be deleted.");
        }
        authorize("kms:DeleteAlias", registry.keyArn(a.keyId()));
        registry.deleteAlias(aliasName);
    }

    @Override
    public List<Alias> listAliases() {
        authorize("kms:ListAliases", aliasesResource());
        List<Alias> out = new ArrayList<>();
        for (KeyRegistry.AliasRecord a : registry.aliases()) {
            out.add(new Alias(a.aliasName(), aliasArn(a.aliasName()), a.keyId()));
        }
        return List.copyOf(out);
    }

    @Override
    public List<Alias> listAliasesByKeyId(String keyId) {
        String id = authorizeKey("kms:ListAliasesByKeyId", keyId);
        registry.existing(id);
        List<Alias> out = new ArrayList<>();
        for (KeyRegistry.AliasRecord a : registry.aliases()) {
            if (a.keyId().equals(id)) out.add(new Alias(a.aliasName(), aliasArn(a.aliasName()), a.keyId()));
        }
        return List.copyOf(out);
    }

    @Override
    public DataKey generateDataKey(String keyId, String keySpec, Integer numberOfBytes,
                                   Map<String, String> encryptionContext) {
        int bytes = KeyRegistry.dataKeyLength(keySpec, numberOfBytes);
        KeyRegistry.validateContext(encryptionContext);
        String id = authorizeKey("kms:GenerateDataKey", keyId);
        return registry.generateDataKey(id, bytes, encryptionContext);
    }

    @Override
    public EncryptResult encrypt(String keyId, byte[] plaintext, Map<String, String> encryptionContext) {
        KeyRegistry.validateContext(encryptionContext);
        String id = authorizeKey("kms:Encrypt", keyId);
        return registry.encrypt(id, plaintext, encryptionContext);
    }

    @Override
    public DecryptResult decrypt(byte[] ciphertextBlob, Map<String, String> encryptionContext) {
        KeyRegistry.validateContext(encryptionContext);
        owner.ensureOpen();
        CiphertextBlob b = KeyRegistry.parseCmkBlob(ciphertextBlob);
        authorize("kms:Decrypt", registry.keyArn(b.keyRef().toString()));
        return registry.decrypt(b, encryptionContext);
    }

    @Override
    public ImportParameters getParametersForImport(String keyId, String wrappingAlgorithm, String wrappingKeySpec) {
        String id = authorizeKey("kms:GetParametersForImport", keyId);
        return registry.byok.getParametersForImport(id, wrappingAlgorithm, wrappingKeySpec);
    }

    @Override
    public KeyMetadata importKeyMaterial(String keyId, byte[] encryptedKeyMaterial, byte[] importToken,
                                         long keyMaterialExpireUnix) {
        String id = authorizeKey("kms:ImportKeyMaterial", keyId);
        return registry.byok.importKeyMaterial(id, encryptedKeyMaterial, importToken, keyMaterialExpireUnix);
    }

    @Override
    public KeyMetadata deleteKeyMaterial(String keyId) {
        String id = authorizeKey("kms:DeleteKeyMaterial", keyId);
        return registry.byok.deleteKeyMaterial(id);
    }

    @Override
    public String toString() {
        return "Kms[" + principal + "]";
    }
}
