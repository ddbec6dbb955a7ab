package dev.ssefs.cli;

import dev.ssefs.keys.RootSecret;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Picks the root secret from exactly one of {@code --passphrase-file}, {@code SSEFS_PASSPHRASE} or
 * {@code --root-key-file}. Passphrases are handled as char arrays that are wiped after use, and never
 * appear in a message.
 */
final class RootSecretSource {
    static final String NONE = "no root secret: give exactly one of --passphrase-file FILE, the environment "
            + "variable " + GlobalOptions.ENV_PASSPHRASE + ", or --root-key-file FILE";

    private RootSecretSource() {}

    static RootSecret resolve(GlobalOptions g, Map<String, String> env) {
        String envPass = env.get(GlobalOptions.ENV_PASSPHRASE);
        boolean hasEnv = envPass != null && !envPass.isEmpty();
        List<String> given = new ArrayList<>();
        if (g.passphraseFile() != null) {
            given.add("--passphrase-file");
        }
        if (hasEnv) {
            given.add(GlobalOptions.ENV_PASSPHRASE);
        }
        if (g.rootKeyFile() != null) {
            given.add("--root-key-file");
        }
        if (given.isEmpty()) {
            throw new UsageException(NONE);
        }
        if (given.size() > 1) {
            throw new UsageException("more than one root secret given (" + String.join(", ", given)
                    + "): give exactly one of --passphrase-file FILE, " + GlobalOptions.ENV_PASSPHRASE + ", or --root-key-file FILE");
        }
        if (g.rootKeyFile() != null) {
            return RootSecret.fromKeyFile(g.rootKeyFile());
        }
        char[] pass = hasEnv ? envPass.toCharArray() : readPassphraseFile(g.passphraseFile());
        try {
            return RootSecret.fromPassphrase(pass);
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    /** The first line of the file, without its line end. */
    static char[] readPassphraseFile(Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new CliFailure("cannot read passphrase file " + file + ": it is a directory");
            }
            if (Files.size(file) > 64 * 1024) {
                throw new CliFailure("passphrase file " + file + " is larger than 64 KiB; is it the right file?");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CliFailure("cannot read passphrase file " + file + ": no such file");
        } catch (IOException e) {
            throw new CliFailure("cannot read passphrase file " + file + ": " + Invocation.describe(e), e);
        }
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new CliFailure("passphrase file " + file + " is not UTF-8 text");
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        int end = 0;
        while (end < chars.length() && chars.get(end) != '\n' && chars.get(end) != '\r') {
            end++;
        }
        char[] pass = new char[end];
        chars.get(pass, 0, end);
        chars.clear();
        while (chars.hasRemaining()) {
            chars.put('\0');
        }
        if (pass.length == 0) {
            throw new CliFailure("passphrase file " + file + " is empty (the passphrase is its first line)");
        }
        return pass;
    }
}
