package dev.ssefs.keys;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** KMS KeyMetadata as returned by CreateKey/DescribeKey/ListKeys. */
final class KeyMetadataView {
    private KeyMetadataView() {}

    static String arn(String region, String accountId, String keyId) {
        return "acs:kms:" + region + ":" + accountId + ":key/" + keyId;
    }

    static String aliasArn(String region, String accountId, String aliasName) {
        return "acs:kms:" + region + ":" + accountId + ":" + aliasName;
    }

    /** ISO-8601 UTC with second precision, e.g. 2026-11-29T07:15:36Z, as KMS prints dates. */
    static String iso(long epochMs) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(epochMs).truncatedTo(ChronoUnit.SECONDS));
    }

    static Kms.KeyMetadata of(KeyRecord r, String region, String accountId) {
        String rotation;
        if (!r.automaticRotation) rotation = KeyStates.ROTATION_DISABLED;
        else rotation = KeyStates.ENABLED.equals(r.state) ? KeyStates.ROTATION_ENABLED : KeyStates.ROTATION_SUSPENDED;
        boolean rotates = r.automaticRotation && !r.isExternal();
        return new Kms.KeyMetadata(
                r.keyId,
                arn(region, accountId, r.keyId),
                r.state,
                r.keySpec,
                r.origin,
                r.description,
                r.primaryVersionId,
                iso(r.creationMs),
                r.materialExpireMs > 0 ? iso(r.materialExpireMs) : null,
                KeyStates.PENDING_DELETION.equals(r.state) ? iso(r.deleteDateMs) : null,
                rotation,
                r.isExternal() ? null : iso(r.lastRotationMs),
                rotates ? iso(r.lastRotationMs + r.rotationIntervalSeconds * 1000L) : null,
                rotates ? r.rotationIntervalSeconds + "s" : null,
                r.creator);
    }
}
