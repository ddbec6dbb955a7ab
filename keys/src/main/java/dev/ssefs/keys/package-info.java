/**
 * The embedded KMS: customer master keys (CMKs) with Alibaba Cloud KMS names, states and error codes, data keys,
 * Clock-driven rotation and deletion, BYOK, the SSE-OSS service key rings, and RAM policy evaluation.
 *
 * <pre>{@code
 * try (EmbeddedKms kms = EmbeddedKms.open(dataDir, RootSecret.fromPassphrase(pw), Clock.systemUTC())) {
 *     Kms kmsForUser = kms.as(principal);                        // RAM-checked view; "root" may do anything
 *     Kms.DataKey dk = kmsForUser.generateDataKey(keyIdOrAlias, null, null, context);   // SSE-KMS write
 *     byte[] key = kmsForUser.decrypt(dk.ciphertextBlob(), context).plaintext();         // SSE-KMS read
 *     String spec = kmsForUser.describeKey(keyId).keySpec();     // Aliyun_AES_256 | Aliyun_SM4; keyState too
 *     Kms.DataKey sse = kms.oss().generateServiceDataKey("AES256", 32, context);        // SSE-OSS ("SM4", 16)
 *     String defaultCmk = kms.oss().defaultOssCmkId();          // alias/acs/oss, created on first use
 *     boolean ok = kms.policies().isAllowed(principal, "oss:GetObject", "acs:oss:*:" + kms.accountId() + ":b/k");
 * }
 * }</pre>
 *
 * <p>Errors: {@link dev.ssefs.keys.KmsException} (HTTP status, KMS code, message) for API errors;
 * {@link dev.ssefs.keys.KeyStoreException} when the store cannot be opened (wrong secret, corrupted or foreign
 * {@code keys.db}, bad root key file), in which case nothing on disk has changed.
 *
 * <p>Files: only {@code <dataDir>/keys.db} (and its transient {@code keys.db.journal}), all mode 0600; every
 * record in it is sealed with AES-256-GCM under a key derived (HKDF) from the root key, which comes from the
 * passphrase via Argon2id (salt and cost stored in the file) or from a 32-byte root key file.
 */
package dev.ssefs.keys;
