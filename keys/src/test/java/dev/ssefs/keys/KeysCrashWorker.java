package dev.ssefs.keys;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The process {@link KeysCrashTest} kills: administers keys in a loop, printing {@code begin <op> <subject>} before
 * and {@code ack <op> <subject> [...]} after each call returned (it is then durable). Subjects are key ids and aliases.
 * "destroy" jumps the worker's clock past the deletion window and acknowledges with the key ids that remain.
 * Args: data dir, random seed, alias number offset.
 */
public final class KeysCrashWorker {
    static final String PASSPHRASE = "crash-test-passphrase";
    static final Map<String, String> CONTEXT = Map.of("test", "crash");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Random rnd = new Random(Long.parseLong(args[1]));
        int aliasNo = Integer.parseInt(args[2]);
        JumpingClock clock = new JumpingClock();
        try (EmbeddedKms kms = EmbeddedKms.open(dir, RootSecret.fromPassphrase(PASSPHRASE.toCharArray()),
                clock, KmsFixture.FAST)) {
            Kms root = kms.as("root");
            List<String> keys = new ArrayList<>();
            for (Kms.KeyMetadata m : root.listKeys(1, 100).keys()) {
                keys.add(m.keyId());
                say("loaded " + m.keyId() + " " + m.keyState()); // diagnostics
            }
            List<String> aliases = new ArrayList<>();
            for (Kms.Alias a : root.listAliases()) aliases.add(a.aliasName());
            System.out.println("ready");
            System.out.flush();
            while (true) {
                int op = keys.isEmpty() ? 0 : rnd.nextInt(10);
                String id = keys.isEmpty() ? null : keys.get(rnd.nextInt(keys.size()));
                try {
                    switch (op) {
                        case 0 -> {
                            if (keys.size() >= 40) continue;
                            say("begin create -");
                            String k = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
                            keys.add(k);
                            say("ack create " + k + " " + dataKey(root, k));
                        }
                        case 1 -> {
                            say("begin rotate " + id);
                            root.createKeyVersion(id);
                            say("ack rotate " + id + " " + dataKey(root, id));
                        }
                        case 2 -> {
                            say("begin disable " + id);
                            root.disableKey(id);
                            say("ack disable " + id);
                        }
                        case 3 -> {
                            say("begin enable " + id);
                            root.enableKey(id);
                            say("ack enable " + id);
                        }
                        case 4 -> {
                            String a = "alias/crash" + aliasNo++;
                            say("begin alias " + a + " " + id);
                            root.createAlias(a, id);
                            aliases.add(a);
                            say("ack alias " + a + " " + id);
                        }
                        case 5 -> {
                            if (aliases.isEmpty()) continue;
                            String a = aliases.remove(rnd.nextInt(aliases.size()));
                            say("begin unalias " + a);
                            root.deleteAlias(a);
                            say("ack unalias " + a);
                        }
                        case 6 -> {
                            say("begin schedule " + id);
                            root.scheduleKeyDeletion(id, 7);
                            say("ack schedule " + id);
                        }
                        case 7 -> {
                            say("begin cancel " + id);
                            root.cancelKeyDeletion(id);
                            say("ack cancel " + id);
                        }
                        case 9 -> {
                            // destroy: schedule, let the window pass, and have ListKeys purge every due key (the
                            // purge rewrites keys.db without the destroyed records)
                            say("begin destroy " + id);
                            root.scheduleKeyDeletion(id, 7);
                            clock.jump(Duration.ofDays(7).plusMinutes(1));
                            keys.clear();
                            for (Kms.KeyMetadata m : root.listKeys(1, 100).keys()) {
                keys.add(m.keyId());
                say("loaded " + m.keyId() + " " + m.keyState()); // diagnostics
            }
                            say("ack destroy " + id + " " + (keys.isEmpty() ? "-" : String.join(",", keys)));
                        }
                        default -> {
                            say("begin datakey " + id);
                            say("ack datakey " + id + " " + dataKey(root, id));
                        }
                    }
                } catch (KmsException rejected) {
                    // e.g. disabling a key pending deletion: a state-machine refusal changes nothing
                    say("rejected " + rejected.getMessage().replace('\n', ' '));
                }
            }
        }
    }

    /** A data key under the key's primary version: "plaintextHex ciphertextBase64", or "-" if the key is not usable. */
    private static String dataKey(Kms root, String keyId) {
        try {
            Kms.DataKey dk = root.generateDataKey(keyId, null, null, CONTEXT);
            return HexFormat.of().formatHex(dk.plaintext()) + " " + Base64.getEncoder().encodeToString(dk.ciphertextBlob());
        } catch (KmsException notEnabled) {
            return "-";
        }
    }

    /** The system clock plus jumps forward (deletion windows pass at once). */
    static final class JumpingClock extends Clock {
        private volatile long offsetMs;

        void jump(Duration d) { offsetMs += d.toMillis(); }

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }

        @Override public Clock withZone(ZoneId zone) { return this; }

        @Override public Instant instant() { return Instant.now().plusMillis(offsetMs); }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
