package dev.ssefs.keys.crypto;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("Wrapping algorithms and the blob layout")
class WrappingAlgorithmTest {
    static final HexFormat HEX = HexFormat.of();

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    @Nested
    @DisplayName("SM4-GCM (Bouncy Castle)")
    class Sm4 {
        @Test
        @DisplayName("matches the RFC 8998 SM4-GCM test vector")
        void rfc8998() throws Exception {
            byte[] key = HEX.parseHex("0123456789abcdeffedcba9876543210");
            byte[] iv = HEX.parseHex("00001234567800000000abcd");
            byte[] aad = HEX.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
            byte[] pt = HEX.parseHex("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
                    + "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa");
            byte[] ct = HEX.parseHex("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
                    + "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d");
            byte[] tag = HEX.parseHex("83de3541e4c2b58177e065a9bf7b62ec");
            WrappingAlgorithm.MasterKey k = Sm4GcmWrapping.INSTANCE.key(key);
            byte[] wrapped = concat(iv, ct, tag);
            assertArrayEquals(pt, k.unwrap(wrapped, 0, wrapped.length, aad));
        }

        @Test
        @DisplayName("round-trips, and fails on another AAD or a flipped bit")
        void roundTrip() {
            roundTripAndTamper(Sm4GcmWrapping.INSTANCE, 16);
        }
    }

    @Nested
    @DisplayName("AES-256-GCM (JDK)")
    class Aes {
        @Test
        @DisplayName("round-trips, and fails on another AAD or a flipped bit")
        void roundTrip() {
            roundTripAndTamper(AesGcmWrapping.INSTANCE, 32);
        }

        @Test
        @DisplayName("interoperates with a plain JDK AES/GCM/NoPadding cipher")
        void interop() throws Exception {
            byte[] key = Randomness.bytes(32);
            byte[] pt = "data key".getBytes();
            byte[] out = new byte[WrappingAlgorithm.wrappedLength(pt.length)];
            AesGcmWrapping.INSTANCE.key(key).wrap(pt, new byte[]{9}, out, 0);
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            c.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "AES"),
                    new javax.crypto.spec.GCMParameterSpec(128, out, 0, 12));
            c.updateAAD(new byte[]{9});
            assertArrayEquals(pt, c.doFinal(out, 12, out.length - 12));
        }
    }

    static void roundTripAndTamper(WrappingAlgorithm alg, int keyBytes) {
        assertEquals(keyBytes, alg.keyBytes());
        WrappingAlgorithm.MasterKey k = alg.key(Randomness.bytes(keyBytes));
        byte[] pt = Randomness.bytes(100);
        byte[] out = new byte[WrappingAlgorithm.wrappedLength(pt.length)];
        assertEquals(out.length, k.wrap(pt, new byte[]{1, 2}, out, 0));
        assertDoesNotThrow(() -> assertArrayEquals(pt, k.unwrap(out, 0, out.length, new byte[]{1, 2})));
        assertThrows(WrappingAlgorithm.UnwrapException.class, () -> k.unwrap(out, 0, out.length, new byte[]{1, 3}));
        out[20] ^= 1;
        assertThrows(WrappingAlgorithm.UnwrapException.class, () -> k.unwrap(out, 0, out.length, new byte[]{1, 2}));
        assertThrows(WrappingAlgorithm.UnwrapException.class, () -> k.unwrap(out, 0, 27, new byte[]{1, 2}));
    }

    @Nested
    @DisplayName("size arithmetic")
    class Sizes {
        @Test
        @DisplayName("wrapped = 12 + n + 16; blob = 35 + wrapped; and back")
        void sizes() {
            for (int n : new int[]{0, 1, 16, 32, 1024, 6144}) {
                assertEquals(n + 28, WrappingAlgorithm.wrappedLength(n));
                assertEquals(n, WrappingAlgorithm.unwrappedLength(WrappingAlgorithm.wrappedLength(n)));
                assertEquals(35 + 28 + n, CiphertextBlob.length(n));
            }
        }

        @Test
        @DisplayName("a header parses back to its fields; wrong format, kind or algorithm bytes do not parse")
        void header() {
            UUID k = UUID.randomUUID();
            UUID v = UUID.randomUUID();
            byte[] b = CiphertextBlob.newBuffer(CiphertextBlob.KIND_CMK, k, v, (byte) 2, 32);
            CiphertextBlob p = CiphertextBlob.parse(b);
            assertNotNull(p);
            assertEquals(k, p.keyRef());
            assertEquals(v, p.versionRef());
            assertEquals(2, p.algorithm());
            assertEquals(32, p.plaintextLength());
            for (int i : new int[]{0, 1, 34}) {
                byte[] bad = b.clone();
                bad[i] = 9;
                assertNull(CiphertextBlob.parse(bad), "byte " + i);
            }
            assertNull(CiphertextBlob.parse(new byte[35 + 27]));
        }

        @Test
        @DisplayName("the context encoding is order-independent and unambiguous")
        void context() {
            byte[] h = new byte[]{1, 2, 3};
            assertArrayEquals(EncryptionContextCodec.aad(h, 3, Map.of("a", "1", "b", "2")),
                    EncryptionContextCodec.aad(h, 3, new java.util.TreeMap<>(Map.of("b", "2", "a", "1"))));
            assertFalse(java.util.Arrays.equals(EncryptionContextCodec.aad(h, 3, Map.of("ab", "c")),
                    EncryptionContextCodec.aad(h, 3, Map.of("a", "bc"))));
            assertArrayEquals(h, EncryptionContextCodec.aad(h, 3, null));
            assertArrayEquals(h, EncryptionContextCodec.aad(h, 3, Map.of()));
        }
    }
}
