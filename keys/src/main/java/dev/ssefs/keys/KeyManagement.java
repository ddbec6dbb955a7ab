package dev.ssefs.keys;

/**
 * The embedded KMS of one data dir: the sealed key store ({@code keys.db}), RAM policies and the
 * service keys behind SSE-OSS. Thread-safe. Obtain one with {@code EmbeddedKms.open(...)}.
 */
public interface KeyManagement extends AutoCloseable {
    /** The KMS as seen by {@code principal}. */
    Kms as(String principal);

    OssKeyService oss();

    RamPolicies policies();

    /** e.g. {@code cn-hangzhou}; part of every ARN. */
    String region();

    /** The 16-digit account id, fixed when the store is created. */
    String accountId();

    /**
     * Checks a root secret against the open key store's verifier, as opening the store checks it.
     *
     * @throws KeyStoreException wrong passphrase or root key
     */
    void checkRootSecret(RootSecret secret);

    @Override
    void close();
}
