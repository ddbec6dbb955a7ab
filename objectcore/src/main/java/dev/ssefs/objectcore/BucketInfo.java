package dev.ssefs.objectcore;

import java.time.Instant;

public record BucketInfo(String name, Instant creationDate, BucketEncryptionRule rule, String origin) {}
