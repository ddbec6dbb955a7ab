package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.format.DataAlgorithm;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every stored object depends on these keys: they must never change. */
@DisplayName("V1Keys: HKDF-SHA256 derivation of an object's header MAC key and chunk key")
class V1KeysTest {
    /** The derivation as first written: one whole HKDF run per key, on Bouncy Castle's own SHA-256. */
    static byte[] reference(byte[] ikm, byte[] salt, String info, int length) {
        HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
        g.init(new HKDFParameters(ikm, salt, info.getBytes(StandardCharsets.US_ASCII)));
        byte[] out = new byte[length];
        g.generateBytes(out, 0, length);
        return out;
    }

    @Test
    @DisplayName("the JDK-backed digest gives RFC 5869 test case 1 through Bouncy Castle's HKDF")
    void rfc5869() {
        HexFormat hex = HexFormat.of();
        byte[] ikm = hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = hex.parseHex("000102030405060708090a0b0c");
        byte[] info = hex.parseHex("f0f1f2f3f4f5f6f7f8f9");
        HKDFBytesGenerator g = new HKDFBytesGenerator(new JdkSha256());
        assertEquals("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", hex.formatHex(g.extractPRK(salt, ikm)));
        g.init(new HKDFParameters(ikm, salt, info));
        byte[] okm = new byte[42];
        g.generateBytes(okm, 0, okm.length);
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", hex.formatHex(okm));
    }

    @Test
    @DisplayName("header MAC and chunk keys equal the whole-HKDF reference, for both algorithms and many keys")
    void sameKeysAsTheReference() throws Exception {
        Random r = new Random(5);
        byte[] header = "some header bytes".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 50; i++) {
            byte[] dk = new byte[32 + r.nextInt(3) * 16];
            byte[] vid = new byte[16];
            r.nextBytes(dk);
            r.nextBytes(vid);
            // header MAC: HMAC-SHA256 under the reference MAC key
            byte[] macKey = reference(dk, vid, "ssefs v1 header mac", 32);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
            byte[] expectedMac = mac.doFinal(header);
            try (V1Keys k = new V1Keys(DataAlgorithm.AES_256_GCM, dk, vid)) {
                assertArrayEquals(expectedMac, k.headerMac(header, 0, header.length));
                // chunk key: a chunk sealed by V1Keys opens under the reference key with the JDK's AES-GCM
                byte[] chunkKey = reference(dk, vid, "ssefs v1 chunk key " + DataAlgorithm.AES_256_GCM.displayName(), 32);
                byte[] plain = new byte[100 + r.nextInt(100)];
                r.nextBytes(plain);
                byte[] aad = {1, 2, 3};
                byte[] sealed = new byte[12 + plain.length + 16];
                for (int n = 0; n < 12; n++) sealed[n] = (byte) r.nextInt();
                int len = k.aead.seal(aad, plain, 0, plain.length, sealed, 0);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(chunkKey, "AES"), new GCMParameterSpec(128, sealed, 0, 12));
                c.updateAAD(aad);
                assertArrayEquals(plain, c.doFinal(sealed, 12, len));
            }
            // SM4: the same derivation with its own info; checked through a seal/open round trip of both key paths
            byte[] sm4Key = reference(dk, vid, "ssefs v1 chunk key " + DataAlgorithm.SM4_GCM.displayName(), DataAlgorithm.SM4_GCM.keyLength());
            try (V1Keys k = new V1Keys(DataAlgorithm.SM4_GCM, dk, vid); ChunkAead ref = ChunkAead.create(DataAlgorithm.SM4_GCM, sm4Key)) {
                byte[] plain = "sm4 chunk".getBytes(StandardCharsets.US_ASCII);
                byte[] sealed = new byte[12 + plain.length + 16];
                int len = k.aead.seal(new byte[0], plain, 0, plain.length, sealed, 0);
                byte[] out = new byte[plain.length];
                assertEquals(plain.length, ref.open(new byte[0], sealed, 0, 12 + len, out, 0));
                assertArrayEquals(plain, out);
            }
        }
    }
}
