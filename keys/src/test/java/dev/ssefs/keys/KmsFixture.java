package dev.ssefs.keys;

import java.nio.file.Path;

/** Opens stores with cheap Argon2 parameters so the suite stays fast. */
final class KmsFixture {
    static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();
    static final EmbeddedKms.Options FAST = EmbeddedKms.Options.defaults().withArgon2(EmbeddedKms.Argon2Params.FOR_TESTS);

    private KmsFixture() {}

    static EmbeddedKms open(Path dir, TestClock clock) {
        return EmbeddedKms.open(dir, RootSecret.fromPassphrase(PASSPHRASE), clock, FAST);
    }

    static EmbeddedKms open(Path dir, TestClock clock, EmbeddedKms.Options options) {
        return EmbeddedKms.open(dir, RootSecret.fromPassphrase(PASSPHRASE), clock, options);
    }
}
