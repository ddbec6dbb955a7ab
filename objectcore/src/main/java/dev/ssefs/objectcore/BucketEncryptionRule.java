package dev.ssefs.objectcore;

/**
 * A bucket's ApplyServerSideEncryptionByDefault: {@code sseAlgorithm} is AES256, KMS or SM4;
 * {@code kmsMasterKeyId} (null = default CMK) and {@code kmsDataEncryption} (null or SM4) only with KMS.
 */
public record BucketEncryptionRule(String sseAlgorithm, String kmsMasterKeyId, String kmsDataEncryption) {}
